//! Shell command lines as the permission check sees them: the simple commands a line
//! runs (program and argument words, quotes removed), wherever they sit — after `;`, `&&`,
//! `||`, `|`, `&` or a newline, inside `( … )`, `{ …; }`, `if`/`while` bodies, command and
//! process substitutions, backticks, here-documents that expand, and the strings given to
//! `sh -c`, `bash -c` or `eval`.
//!
//! This is a careful tokenizer for the POSIX shell grammar the agent's commands use, not a
//! shell: it never expands or runs anything. What it cannot read with certainty (`case`,
//! function definitions, an unclosed quote) is an error, and the caller asks the user.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// `>`, `>>`, `>|`, `&>`, `&>>`, `<`, `<<<`, `>&`, `<&` (the fd number, if any, dropped).
    pub op: String,
    pub target: String,
}

impl Redirect {
    /// Whether it writes to a file (not a duplication like `2>&1`).
    pub fn writes(&self) -> bool {
        matches!(self.op.as_str(), ">" | ">>" | ">|" | "&>" | "&>>") || (self.op == ">&" && !self.target.chars().all(|c| c.is_ascii_digit() || c == '-'))
    }
}

/// How a command was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Written on the line itself.
    Line,
    /// Inside `$( … )`, backticks or `<( … )`: runs whenever the line does.
    Substitution,
    /// A string given to `sh -c` (or bash, zsh, dash…) or to `eval`.
    Nested,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// `NAME=value` words before the program.
    pub assigns: Vec<String>,
    /// Program and arguments with quotes removed; `$VAR`, `${…}` and `~` are left as written.
    pub words: Vec<String>,
    pub redirects: Vec<Redirect>,
    pub via: Via,
}

impl SimpleCommand {
    /// Assignments and words, space-separated: what patterns are matched against.
    pub fn line(&self) -> String {
        self.assigns.iter().chain(&self.words).cloned().collect::<Vec<_>>().join(" ")
    }

    /// The program's file name (`/usr/bin/git` -> `git`), if there is a program.
    pub fn program(&self) -> Option<&str> {
        self.words.first().map(|w| w.rsplit('/').next().unwrap_or(w))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    pub commands: Vec<SimpleCommand>,
}

impl Script {
    /// Whether anything runs that is not plainly written on the line: a substitution,
    /// `eval`, or a shell given a string to run.
    pub fn has_hidden_commands(&self) -> bool {
        self.commands.iter().any(|c| c.via != Via::Line || is_shell_string(c) || c.program() == Some("eval"))
    }
}

/// `sh -c STRING` and the like: (the string, where it starts in the words).
fn shell_string(c: &SimpleCommand) -> Option<&str> {
    let prog = c.program()?;
    if !SHELLS.contains(&prog) {
        return None;
    }
    // sh [-e] [-x] -c STRING …, also combined flags such as -ec.
    let mut it = c.words.iter().skip(1);
    while let Some(w) = it.next() {
        if !w.starts_with('-') || w == "-" || w == "--" {
            return None;
        }
        if w.starts_with("--") {
            continue;
        }
        if w.contains('c') {
            return it.next().map(String::as_str);
        }
    }
    None
}

fn is_shell_string(c: &SimpleCommand) -> bool {
    shell_string(c).is_some()
}

pub const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "busybox"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// Words that open or close compound commands: the command after them is a command.
const KEYWORDS: &[&str] = &["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time"];

/// Nesting limit for `$( $( … ) )` and `sh -c "sh -c …"`.
const MAX_DEPTH: usize = 8;

pub fn parse(line: &str) -> Result<Script, ParseError> {
    let mut script = Script::default();
    parse_into(line, Via::Line, 0, &mut script)?;
    Ok(script)
}

fn parse_into(line: &str, via: Via, depth: usize, out: &mut Script) -> Result<(), ParseError> {
    if depth > MAX_DEPTH {
        return Err(ParseError("commands nested too deep".into()));
    }
    let mut lx = Lexer::new(line, via, depth);
    lx.run()?;
    // Commands from substitutions were parsed whole already (their own `sh -c` included).
    out.commands.append(&mut lx.extra);
    for c in std::mem::take(&mut lx.out.commands) {
        let nested = if c.program() == Some("eval") {
            Some(c.words[1..].join(" "))
        } else {
            shell_string(&c).map(str::to_owned)
        };
        let inner_via = if via == Via::Line { Via::Nested } else { via };
        out.commands.push(c);
        if let Some(s) = nested {
            parse_into(&s, inner_via, depth + 1, out)?;
        }
    }
    Ok(())
}

struct Lexer {
    s: Vec<char>,
    i: usize,
    via: Via,
    depth: usize,
    out: Script,
    /// Commands found in substitutions, already complete.
    extra: Vec<SimpleCommand>,
    /// Here-documents whose bodies start after the next newline: (delimiter, strip tabs,
    /// expands).
    heredocs: Vec<(String, bool, bool)>,
}

#[derive(Default)]
struct Building {
    assigns: Vec<String>,
    words: Vec<String>,
    redirects: Vec<Redirect>,
    /// The next word is a redirect's target.
    pending: Option<String>,
    /// After `for NAME`: words up to the separator are the loop's list, not a command.
    in_for: bool,
}

fn is_assign(w: &str) -> bool {
    match w.split_once('=') {
        Some((name, _)) => !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !name.starts_with(|c: char| c.is_ascii_digit()),
        None => false,
    }
}

impl Lexer {
    fn new(text: &str, via: Via, depth: usize) -> Self {
        Lexer { s: text.chars().collect(), i: 0, via, depth, out: Script::default(), extra: vec![], heredocs: vec![] }
    }

    fn peek(&self, k: usize) -> Option<char> {
        self.s.get(self.i + k).copied()
    }

    fn err<T>(&self, what: &str) -> Result<T, ParseError> {
        Err(ParseError(what.to_owned()))
    }

    fn run(&mut self) -> Result<(), ParseError> {
        let mut b = Building::default();
        loop {
            let Some(c) = self.peek(0) else { break };
            match c {
                ' ' | '\t' => self.i += 1,
                '\\' if self.peek(1) == Some('\n') => self.i += 2,
                '#' => {
                    // A comment runs to the end of the line.
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.i += 1;
                    }
                }
                '\n' => {
                    self.i += 1;
                    self.finish(&mut b)?;
                    self.read_heredocs()?;
                }
                ';' | '&' | '|' => {
                    if c == '&' && self.peek(1) == Some('>') {
                        // &> and &>> redirect both outputs.
                        let op = if self.peek(2) == Some('>') { "&>>" } else { "&>" };
                        self.i += op.len();
                        b.pending = Some(op.into());
                        continue;
                    }
                    if c == ';' && self.peek(1) == Some(';') {
                        return self.err("`case` is not read here");
                    }
                    self.i += 1;
                    if matches!(self.peek(0), Some('&' | '|')) && c != ';' {
                        self.i += 1;
                    }
                    self.finish(&mut b)?;
                }
                '(' => {
                    if !b.words.is_empty() {
                        return self.err("function definitions are not read here");
                    }
                    self.i += 1;
                    self.finish(&mut b)?;
                }
                ')' => {
                    self.i += 1;
                    self.finish(&mut b)?;
                }
                '<' | '>' => self.redirect(&mut b, None)?,
                d if d.is_ascii_digit() && self.fd_redirect_ahead() => {
                    while self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                        self.i += 1;
                    }
                    self.redirect(&mut b, Some(()))?;
                }
                _ => {
                    let w = self.word()?;
                    self.take_word(&mut b, w)?;
                }
            }
        }
        if b.pending.is_some() {
            return self.err("a redirection without a target");
        }
        self.finish(&mut b)?;
        if !self.heredocs.is_empty() {
            return self.err("a here-document without its body");
        }
        Ok(())
    }

    fn fd_redirect_ahead(&self) -> bool {
        let mut k = 0;
        while self.peek(k).is_some_and(|c| c.is_ascii_digit()) {
            k += 1;
        }
        matches!(self.peek(k), Some('<' | '>'))
    }

    fn redirect(&mut self, b: &mut Building, _fd: Option<()>) -> Result<(), ParseError> {
        let c = self.peek(0).unwrap_or('>');
        // Process substitution: <( … ) and >( … ) run a command.
        if self.peek(1) == Some('(') {
            self.i += 2;
            let inner = self.balanced(')')?;
            self.nested(&inner)?;
            b.words.push(format!("{c}(…)"));
            return Ok(());
        }
        let ops = ["<<<", "<<-", "<<", ">>", ">|", ">&", "<&", "<>", ">", "<"];
        let rest: String = self.s[self.i..(self.i + 3).min(self.s.len())].iter().collect();
        let op = ops.iter().find(|o| rest.starts_with(**o)).copied().unwrap_or(">");
        self.i += op.len();
        if op == "<<" || op == "<<-" {
            while matches!(self.peek(0), Some(' ' | '\t')) {
                self.i += 1;
            }
            let start = self.i;
            let delim = self.word()?;
            let raw: String = self.s[start..self.i].iter().collect();
            let expands = !raw.contains(['\'', '"', '\\']);
            if delim.is_empty() {
                return self.err("a here-document without a delimiter");
            }
            self.heredocs.push((delim, op == "<<-", expands));
            return Ok(());
        }
        b.pending = Some(op.to_owned());
        Ok(())
    }

    /// Bodies of the here-documents opened on the line just ended.
    fn read_heredocs(&mut self) -> Result<(), ParseError> {
        for (delim, strip, expands) in std::mem::take(&mut self.heredocs) {
            let mut body = String::new();
            loop {
                if self.i >= self.s.len() {
                    return self.err("a here-document without its end");
                }
                let start = self.i;
                while self.peek(0).is_some_and(|c| c != '\n') {
                    self.i += 1;
                }
                let line: String = self.s[start..self.i].iter().collect();
                self.i = (self.i + 1).min(self.s.len() + 1);
                let cmp = if strip { line.trim_start_matches('\t') } else { line.as_str() };
                if cmp == delim {
                    break;
                }
                body.push_str(&line);
                body.push('\n');
            }
            if expands {
                // An unquoted delimiter: the body expands like a double-quoted string.
                self.nested_in_text(&body)?;
            }
        }
        Ok(())
    }

    fn take_word(&mut self, b: &mut Building, w: String) -> Result<(), ParseError> {
        if let Some(op) = b.pending.take() {
            b.redirects.push(Redirect { op, target: w });
            return Ok(());
        }
        if b.in_for {
            if w == "do" {
                b.in_for = false;
            }
            return Ok(());
        }
        if b.words.is_empty() && b.assigns.is_empty() {
            if w == "case" || w == "function" || w == "select" {
                return self.err(&format!("`{w}` is not read here"));
            }
            if w == "for" {
                b.in_for = true;
                return Ok(());
            }
            if KEYWORDS.contains(&w.as_str()) {
                return Ok(());
            }
        }
        if b.words.is_empty() && is_assign(&w) {
            b.assigns.push(w);
        } else {
            b.words.push(w);
        }
        Ok(())
    }

    fn finish(&mut self, b: &mut Building) -> Result<(), ParseError> {
        if b.pending.is_some() {
            return self.err("a redirection without a target");
        }
        let done = std::mem::take(b);
        if !done.words.is_empty() || !done.assigns.is_empty() || !done.redirects.is_empty() {
            self.out.commands.push(SimpleCommand { assigns: done.assigns, words: done.words, redirects: done.redirects, via: self.via });
        }
        Ok(())
    }

    /// Reads up to the `close` that balances an opening just read, respecting quotes and
    /// nesting; returns the text between.
    fn balanced(&mut self, close: char) -> Result<String, ParseError> {
        let open = if close == ')' { '(' } else { '{' };
        let mut depth = 1;
        let start = self.i;
        while let Some(c) = self.peek(0) {
            match c {
                '\\' => self.i += 2,
                '\'' => {
                    self.single_quoted()?;
                }
                '"' => {
                    self.i += 1;
                    while let Some(c) = self.peek(0) {
                        if c == '\\' {
                            self.i += 2;
                            continue;
                        }
                        if c == '"' {
                            break;
                        }
                        self.i += 1;
                    }
                    if self.peek(0).is_none() {
                        return self.err("an unclosed quote");
                    }
                    self.i += 1;
                }
                c if c == open => {
                    depth += 1;
                    self.i += 1;
                }
                c if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        let inner: String = self.s[start..self.i].iter().collect();
                        self.i += 1;
                        return Ok(inner);
                    }
                    self.i += 1;
                }
                _ => self.i += 1,
            }
        }
        self.err(&format!("an unclosed `{open}`"))
    }

    fn nested(&mut self, inner: &str) -> Result<(), ParseError> {
        let mut found = Script::default();
        parse_into(inner, Via::Substitution, self.depth + 1, &mut found)?;
        self.extra.append(&mut found.commands);
        Ok(())
    }

    /// `$…` or one character, appended to `w`; inside double quotes when `quoted`.
    fn dollar_or_char(&mut self, w: &mut String, quoted: bool) -> Result<(), ParseError> {
        let c = self.peek(0).unwrap_or_default();
        if c == '\\' {
            match self.peek(1) {
                Some(n) if !quoted || matches!(n, '$' | '`' | '"' | '\\' | '\n') => {
                    if n != '\n' {
                        w.push(n);
                    }
                    self.i += 2;
                }
                Some(_) => {
                    w.push('\\');
                    self.i += 1;
                }
                None => self.i += 1,
            }
            return Ok(());
        }
        if c == '`' {
            self.i += 1;
            let start = self.i;
            while self.peek(0).is_some_and(|c| c != '`') {
                if self.peek(0) == Some('\\') {
                    self.i += 1;
                }
                self.i += 1;
            }
            if self.peek(0).is_none() {
                return self.err("an unclosed backtick");
            }
            let inner: String = self.s[start..self.i].iter().collect();
            self.i += 1;
            self.nested(&inner)?;
            w.push_str("$(…)");
            return Ok(());
        }
        if c == '$' {
            match self.peek(1) {
                Some('(') if self.peek(2) == Some('(') => {
                    // Arithmetic: no command, but it may hold a substitution.
                    self.i += 3;
                    let inner = self.balanced(')')?;
                    if self.peek(0) == Some(')') {
                        self.i += 1;
                    }
                    if inner.contains("$(") || inner.contains('`') {
                        return self.err("a command inside arithmetic");
                    }
                    w.push_str("$((…))");
                }
                Some('(') => {
                    self.i += 2;
                    let inner = self.balanced(')')?;
                    self.nested(&inner)?;
                    w.push_str("$(…)");
                }
                Some('{') => {
                    self.i += 2;
                    let inner = self.balanced('}')?;
                    if inner.contains("$(") || inner.contains('`') {
                        self.nested_in_text(&inner)?;
                    }
                    w.push_str("${");
                    w.push_str(&inner);
                    w.push('}');
                }
                _ => {
                    w.push('$');
                    self.i += 1;
                }
            }
            return Ok(());
        }
        w.push(c);
        self.i += 1;
        Ok(())
    }

    /// Substitutions inside text that is not itself a command line (`${x:-$(cmd)}`).
    fn nested_in_text(&mut self, text: &str) -> Result<(), ParseError> {
        let mut inner = Lexer::new(text, self.via, self.depth);
        let mut sink = String::new();
        while inner.i < inner.s.len() {
            inner.dollar_or_char(&mut sink, true)?;
        }
        self.extra.append(&mut inner.extra);
        Ok(())
    }

    /// `'…'` from its opening quote: the text between, taken literally.
    fn single_quoted(&mut self) -> Result<String, ParseError> {
        self.i += 1;
        let start = self.i;
        while self.peek(0).is_some_and(|c| c != '\'') {
            self.i += 1;
        }
        if self.peek(0).is_none() {
            return self.err("an unclosed quote");
        }
        let text: String = self.s[start..self.i].iter().collect();
        self.i += 1;
        Ok(text)
    }

    /// One word, quotes removed.
    fn word(&mut self) -> Result<String, ParseError> {
        let mut w = String::new();
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' | '\n' | ';' | '&' | '|' | '(' | ')' | '<' | '>' => break,
                '\'' => w.push_str(&self.single_quoted()?),
                '"' => {
                    self.i += 1;
                    loop {
                        match self.peek(0) {
                            None => return self.err("an unclosed quote"),
                            Some('"') => {
                                self.i += 1;
                                break;
                            }
                            Some(_) => self.dollar_or_char(&mut w, true)?,
                        }
                    }
                }
                _ => self.dollar_or_char(&mut w, false)?,
            }
        }
        Ok(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        parse(s).expect("parses").commands.iter().map(SimpleCommand::line).collect()
    }

    #[test]
    fn separators_split_simple_commands() {
        assert_eq!(lines("git status; id > f"), ["git status", "id"]);
        assert_eq!(lines("git status && curl x | sh"), ["git status", "curl x", "sh"]);
        assert_eq!(lines("git status\nid > f"), ["git status", "id"]);
        assert_eq!(lines("a || b & c |& d"), ["a", "b", "c", "d"]);
        assert_eq!(lines("(cd x && make) ; { echo hi; }"), ["cd x", "make", "echo hi"]);
        assert_eq!(lines("if test -f x; then rm x; else touch x; fi"), ["test -f x", "rm x", "touch x"]);
        assert_eq!(lines("for f in a b; do echo $f; done"), ["echo $f"]);
        assert_eq!(lines("while true; do sleep 1; done"), ["true", "sleep 1"]);
    }

    #[test]
    fn quotes_keep_separators_inside_words() {
        assert_eq!(lines("echo 'a; b' \"c && d\" e\\;f"), ["echo a; b c && d e;f"]);
        let s = parse("git commit -m \"fix: x; y\"").expect("parses");
        assert_eq!(s.commands[0].words, ["git", "commit", "-m", "fix: x; y"]);
    }

    #[test]
    fn substitutions_and_shell_strings_are_found() {
        let s = parse("echo $(rm -rf ~) `id` \"$(whoami)\"").expect("parses");
        assert_eq!(s.commands.iter().map(|c| (c.line(), c.via)).collect::<Vec<_>>(), [
            ("rm -rf ~".to_owned(), Via::Substitution),
            ("id".to_owned(), Via::Substitution),
            ("whoami".to_owned(), Via::Substitution),
            ("echo $(…) $(…) $(…)".to_owned(), Via::Line),
        ]);
        assert!(s.has_hidden_commands());
        let s = parse("bash -c 'rm -rf ~; echo done'").expect("parses");
        assert_eq!(s.commands.iter().map(SimpleCommand::line).collect::<Vec<_>>(), ["bash -c rm -rf ~; echo done", "rm -rf ~", "echo done"]);
        assert_eq!(s.commands[1].via, Via::Nested);
        assert_eq!(lines("eval 'touch a; id'"), ["eval touch a; id", "touch a", "id"]);
        assert_eq!(lines("diff <(ls a) <(ls b)"), ["ls a", "ls b", "diff <(…) <(…)"]);
        assert!(!parse("cargo test -p x").expect("parses").has_hidden_commands());
    }

    #[test]
    fn redirections_are_kept_apart_from_words() {
        let s = parse("make 2>&1 > out.log >> /tmp/x &> all < in").expect("parses");
        let c = &s.commands[0];
        assert_eq!(c.words, ["make"]);
        let r: Vec<(&str, &str, bool)> = c.redirects.iter().map(|r| (r.op.as_str(), r.target.as_str(), r.writes())).collect();
        assert_eq!(r, [(">&", "1", false), (">", "out.log", true), (">>", "/tmp/x", true), ("&>", "all", true), ("<", "in", false)]);
    }

    #[test]
    fn here_documents() {
        let s = parse("cat > f.txt <<'EOF'\n$(rm -rf ~)\nEOF\necho next").expect("parses");
        assert_eq!(s.commands.iter().map(SimpleCommand::line).collect::<Vec<_>>(), ["cat", "echo next"]);
        // Unquoted: the body expands, and its substitution runs.
        let s = parse("cat <<EOF\n$(rm -rf ~)\nEOF").expect("parses");
        assert!(s.commands.iter().any(|c| c.line() == "rm -rf ~" && c.via == Via::Substitution));
    }

    #[test]
    fn assignments_and_what_is_not_read() {
        let s = parse("PATH=/tmp/evil git status").expect("parses");
        assert_eq!(s.commands[0].assigns, ["PATH=/tmp/evil"]);
        assert_eq!(s.commands[0].line(), "PATH=/tmp/evil git status");
        for bad in ["echo 'open", "echo \"open", "echo $(open", "case x in a) b;; esac", "f() { rm -rf ~; }", "cat <<EOF\nno end", "echo >"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
