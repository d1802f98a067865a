//! Secret values hidden from output that leaves the user's own screen: a terminal shown to
//! collaboration guests, a command's output read by a model. Each occurrence of a value is
//! replaced by [`MASK`].
//!
//! Output arrives in chunks, and a value may be cut between two of them: the streaming
//! masker holds back only a chunk's end that could be the start of a value (so a shell
//! prompt is not delayed unless it ends like a secret begins), and sends it with the next
//! chunk, or as it is once the next chunk shows it was not one.

/// What a secret's value becomes.
pub const MASK: &str = "••••••";

/// Values shorter than this are not masked: "1" or "on" would mask half of every output.
pub const MIN_LEN: usize = 4;

fn usable(secrets: &[String]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = secrets.iter().map(|s| s.as_bytes()).filter(|s| s.len() >= MIN_LEN).collect();
    // Longest first: a value containing another is masked whole.
    v.sort_by_key(|s| std::cmp::Reverse(s.len()));
    v
}

fn replace_all(bytes: &[u8], secrets: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    'outer: while i < bytes.len() {
        for s in secrets {
            if bytes[i..].starts_with(s) {
                out.extend_from_slice(MASK.as_bytes());
                i += s.len();
                continue 'outer;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn holds(text: &str, secrets: &[&[u8]]) -> bool {
    secrets.iter().any(|v| text.as_bytes().windows(v.len()).any(|w| w == *v))
}

/// Whether `text` holds a secret's value (one long enough to be masked).
pub fn reveals(text: &str, secrets: &[String]) -> bool {
    holds(text, &usable(secrets))
}

/// `text` with every secret value masked.
pub fn mask_text(text: &str, secrets: &[String]) -> String {
    let s = usable(secrets);
    if !holds(text, &s) {
        return text.to_owned();
    }
    String::from_utf8_lossy(&replace_all(text.as_bytes(), &s)).into_owned()
}

/// Masks a stream of output chunks.
pub struct Masker {
    secrets: Vec<Vec<u8>>,
    held: Vec<u8>,
}

impl Masker {
    pub fn new(secrets: &[String]) -> Self {
        Masker { secrets: usable(secrets).into_iter().map(<[u8]>::to_vec).collect(), held: Vec::new() }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// What can be shown of the output so far.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<u8> {
        if self.secrets.is_empty() {
            return chunk.to_vec();
        }
        let mut all = std::mem::take(&mut self.held);
        all.extend_from_slice(chunk);
        // The longest end of `all` that is a proper prefix of a value waits.
        let keep = self.secrets.iter().map(|s| (1..s.len()).rev().find(|&k| all.len() >= k && all.ends_with(&s[..k])).unwrap_or(0)).max().unwrap_or(0);
        let refs: Vec<&[u8]> = self.secrets.iter().map(Vec::as_slice).collect();
        // A whole value across the cut (one that also ends like it begins) waits whole.
        let mut cut = all.len() - keep;
        for s in &self.secrets {
            for start in cut.saturating_sub(s.len() - 1)..cut {
                if start + s.len() > cut && all[start..].starts_with(s) {
                    cut = start;
                    break;
                }
            }
        }
        let out = replace_all(&all[..cut], &refs);
        self.held = all[cut..].to_vec();
        out
    }

    /// The output ended: what was held is shown.
    pub fn finish(&mut self) -> Vec<u8> {
        let refs: Vec<&[u8]> = self.secrets.iter().map(Vec::as_slice).collect();
        replace_all(&std::mem::take(&mut self.held), &refs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_masked_in_text_and_short_ones_left() {
        let s = vec!["hunter2secret".to_owned(), "on".to_owned()];
        assert_eq!(mask_text("token=hunter2secret; on", &s), format!("token={MASK}; on"));
        assert_eq!(mask_text("nothing here", &s), "nothing here");
    }

    #[test]
    fn a_value_cut_between_chunks_never_shows() {
        let secret = "sk-live-0123456789".to_owned();
        let text = format!("$ echo $KEY\r\n{secret}\r\n$ ");
        // Every way of cutting the output in two, and in bytes.
        for cut in 0..=text.len() {
            let mut m = Masker::new(std::slice::from_ref(&secret));
            let mut shown = m.feed(&text.as_bytes()[..cut]);
            shown.extend(m.feed(&text.as_bytes()[cut..]));
            shown.extend(m.finish());
            let shown = String::from_utf8(shown).expect("utf8");
            assert_eq!(shown, format!("$ echo $KEY\r\n{MASK}\r\n$ "), "cut at {cut}");
        }
        let mut m = Masker::new(std::slice::from_ref(&secret));
        let mut shown = Vec::new();
        for b in text.as_bytes() {
            shown.extend(m.feed(std::slice::from_ref(b)));
        }
        shown.extend(m.finish());
        assert!(!String::from_utf8_lossy(&shown).contains("0123"), "byte by byte");
    }

    #[test]
    fn a_value_that_ends_as_it_begins_is_masked_whole() {
        let secret = "abcXabc".to_owned();
        let text = "x abcXabc y";
        for cut in 0..=text.len() {
            let mut m = Masker::new(std::slice::from_ref(&secret));
            let mut shown = m.feed(&text.as_bytes()[..cut]);
            shown.extend(m.feed(&text.as_bytes()[cut..]));
            shown.extend(m.finish());
            assert_eq!(String::from_utf8(shown).expect("utf8"), format!("x {MASK} y"), "cut at {cut}");
        }
    }

    #[test]
    fn output_not_like_a_value_is_not_held() {
        let mut m = Masker::new(&["sk-live-0123456789".to_owned()]);
        assert_eq!(m.feed(b"$ "), b"$ ");
        // "sk" could begin the value: it waits for what follows.
        assert_eq!(m.feed(b"ls sk"), b"ls ");
        assert_eq!(m.feed(b"y\r\n"), b"sky\r\n");
    }
}
