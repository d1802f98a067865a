//! The languages Weft analyses: detection by file name and shebang, the grammar, and the
//! query that finds the outline's symbols.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use tree_sitter::{Language, Query};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Lang {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Go,
    C,
    Cpp,
    Java,
    Json,
    Toml,
    Yaml,
    Markdown,
    Html,
    Css,
    Bash,
}

impl Lang {
    pub const ALL: [Lang; 16] = [
        Lang::Rust,
        Lang::Python,
        Lang::JavaScript,
        Lang::TypeScript,
        Lang::Tsx,
        Lang::Go,
        Lang::C,
        Lang::Cpp,
        Lang::Java,
        Lang::Json,
        Lang::Toml,
        Lang::Yaml,
        Lang::Markdown,
        Lang::Html,
        Lang::Css,
        Lang::Bash,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::JavaScript => "javascript",
            Lang::TypeScript => "typescript",
            Lang::Tsx => "tsx",
            Lang::Go => "go",
            Lang::C => "c",
            Lang::Cpp => "cpp",
            Lang::Java => "java",
            Lang::Json => "json",
            Lang::Toml => "toml",
            Lang::Yaml => "yaml",
            Lang::Markdown => "markdown",
            Lang::Html => "html",
            Lang::Css => "css",
            Lang::Bash => "bash",
        }
    }

    /// The language of a file from its name, or failing that from a `#!` first line.
    pub fn detect(path: &str, head: &str) -> Option<Lang> {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let lower = name.to_ascii_lowercase();
        let by_name = match lower.as_str() {
            "makefile" | "dockerfile" => None,
            ".bashrc" | ".bash_profile" | ".profile" | ".zshrc" | "pkgbuild" => Some(Lang::Bash),
            "cargo.lock" | "pipfile" => Some(Lang::Toml),
            _ => lower.rsplit_once('.').and_then(|(_, ext)| Lang::from_extension(ext)),
        };
        by_name.or_else(|| Lang::from_shebang(head))
    }

    pub fn from_extension(ext: &str) -> Option<Lang> {
        Some(match ext {
            "rs" => Lang::Rust,
            "py" | "pyi" | "pyw" => Lang::Python,
            "js" | "mjs" | "cjs" | "jsx" => Lang::JavaScript,
            "ts" | "mts" | "cts" => Lang::TypeScript,
            "tsx" => Lang::Tsx,
            "go" => Lang::Go,
            "c" | "h" => Lang::C,
            "cc" | "cpp" | "cxx" | "c++" | "hh" | "hpp" | "hxx" | "h++" | "ipp" | "inl" => Lang::Cpp,
            "java" => Lang::Java,
            "json" | "jsonc" | "json5" | "geojson" | "webmanifest" => Lang::Json,
            "toml" => Lang::Toml,
            "yaml" | "yml" => Lang::Yaml,
            "md" | "markdown" | "mdx" => Lang::Markdown,
            "html" | "htm" | "xhtml" => Lang::Html,
            "css" => Lang::Css,
            "sh" | "bash" | "zsh" | "ksh" => Lang::Bash,
            _ => return None,
        })
    }

    fn from_shebang(head: &str) -> Option<Lang> {
        let line = head.lines().next()?.strip_prefix("#!")?;
        let mut words = line.split_whitespace();
        let mut prog = words.next()?.rsplit('/').next()?;
        if prog == "env" {
            // `#!/usr/bin/env -S node --flags`: skip env's own options.
            prog = words.find(|w| !w.starts_with('-') && !w.contains('='))?;
        }
        let prog = prog.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
        Some(match prog {
            "sh" | "bash" | "zsh" | "dash" | "ksh" | "ash" => Lang::Bash,
            "python" | "pypy" => Lang::Python,
            "node" | "nodejs" | "deno" | "bun" => Lang::JavaScript,
            "ts-node" | "tsx" => Lang::TypeScript,
            _ => return None,
        })
    }

    pub fn language(self) -> Language {
        match self {
            Lang::Rust => tree_sitter_rust::LANGUAGE.into(),
            Lang::Python => tree_sitter_python::LANGUAGE.into(),
            Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Lang::Go => tree_sitter_go::LANGUAGE.into(),
            Lang::C => tree_sitter_c::LANGUAGE.into(),
            Lang::Cpp => tree_sitter_cpp::LANGUAGE.into(),
            Lang::Java => tree_sitter_java::LANGUAGE.into(),
            Lang::Json => tree_sitter_json::LANGUAGE.into(),
            Lang::Toml => tree_sitter_toml_ng::LANGUAGE.into(),
            Lang::Yaml => tree_sitter_yaml::LANGUAGE.into(),
            Lang::Markdown => tree_sitter_md::LANGUAGE.into(),
            Lang::Html => tree_sitter_html::LANGUAGE.into(),
            Lang::Css => tree_sitter_css::LANGUAGE.into(),
            Lang::Bash => tree_sitter_bash::LANGUAGE.into(),
        }
    }

    /// The compiled outline query, built once per language. The queries are part of the
    /// program, so a failure to compile is a bug the tests catch, not a user error.
    pub(crate) fn outline_query(self) -> &'static Query {
        static CACHE: [OnceLock<Query>; 16] = [const { OnceLock::new() }; 16];
        let i = Lang::ALL.iter().position(|l| *l == self).unwrap_or(0);
        CACHE[i].get_or_init(|| {
            Query::new(&self.language(), self.outline_source())
                .unwrap_or_else(|e| panic!("the {} outline query does not compile: {e}", self.name()))
        })
    }

    /// Captures: `@name` is the symbol's name; every other capture is the symbol's node,
    /// named by its kind. Where one node matches several patterns, the first wins, so the
    /// specific patterns come first.
    fn outline_source(self) -> &'static str {
        match self {
            Lang::Rust => RUST,
            Lang::Python => PYTHON,
            Lang::JavaScript => JAVASCRIPT,
            Lang::TypeScript | Lang::Tsx => TYPESCRIPT,
            Lang::Go => GO,
            Lang::C => C,
            Lang::Cpp => CPP,
            Lang::Java => JAVA,
            Lang::Json => JSON,
            Lang::Toml => TOML,
            Lang::Yaml => YAML,
            Lang::Markdown => MARKDOWN,
            Lang::Html => HTML,
            Lang::Css => CSS,
            Lang::Bash => BASH,
        }
    }

    /// Node kinds folded from the end of their first line to their end, for languages
    /// whose blocks are not bracketed (indentation, sections, tags).
    pub(crate) fn line_fold_kinds(self) -> &'static [&'static str] {
        match self {
            Lang::Python => &["block", "string", "comment", "parenthesized_expression", "dictionary", "list"],
            Lang::Markdown => &["section", "fenced_code_block", "list"],
            Lang::Yaml => &["block_mapping_pair", "block_sequence_item"],
            Lang::Html => &["element", "script_element", "style_element", "comment"],
            Lang::Toml => &["table", "table_array_element"],
            Lang::Bash => &["heredoc_body", "case_statement", "if_statement", "for_statement", "while_statement"],
            _ => &["comment", "block_comment", "string_literal", "raw_string_literal", "template_string"],
        }
    }
}

const RUST: &str = r#"
(mod_item name: (identifier) @name) @module
(function_item name: (identifier) @name) @function
(function_signature_item name: (identifier) @name) @function
(struct_item name: (type_identifier) @name) @struct
(union_item name: (type_identifier) @name) @struct
(enum_item name: (type_identifier) @name) @enum
(enum_variant name: (identifier) @name) @member
(trait_item name: (type_identifier) @name) @interface
(impl_item) @impl
(type_item name: (type_identifier) @name) @type
(associated_type name: (type_identifier) @name) @type
(const_item name: (identifier) @name) @constant
(static_item name: (identifier) @name) @constant
(macro_definition name: (identifier) @name) @macro
(field_declaration name: (field_identifier) @name) @field
"#;

const PYTHON: &str = r#"
(class_definition name: (identifier) @name) @class
(function_definition name: (identifier) @name) @function
(module (expression_statement (assignment left: (identifier) @name) @constant))
(class_definition body: (block (expression_statement (assignment left: (identifier) @name) @field)))
"#;

const JAVASCRIPT: &str = r#"
(class_declaration name: (identifier) @name) @class
(class name: (identifier) @name) @class
(function_declaration name: (identifier) @name) @function
(generator_function_declaration name: (identifier) @name) @function
(method_definition name: (_) @name) @method
(field_definition property: (_) @name) @field
(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression) (generator_function)]) @function
(variable_declarator name: (identifier) @name value: (class)) @class
(program (lexical_declaration (variable_declarator name: (identifier) @name) @constant))
(program (export_statement (lexical_declaration (variable_declarator name: (identifier) @name) @constant)))
(pair key: (_) @name value: [(arrow_function) (function_expression)]) @method
"#;

const TYPESCRIPT: &str = r#"
(class_declaration name: (type_identifier) @name) @class
(abstract_class_declaration name: (type_identifier) @name) @class
(interface_declaration name: (type_identifier) @name) @interface
(type_alias_declaration name: (type_identifier) @name) @type
(enum_declaration name: (identifier) @name) @enum
(internal_module name: (_) @name) @module
(module name: (_) @name) @module
(function_declaration name: (identifier) @name) @function
(generator_function_declaration name: (identifier) @name) @function
(function_signature name: (identifier) @name) @function
(method_definition name: (_) @name) @method
(method_signature name: (_) @name) @method
(abstract_method_signature name: (_) @name) @method
(public_field_definition name: (_) @name) @field
(property_signature name: (_) @name) @field
(enum_body (property_identifier) @name @member)
(enum_assignment name: (_) @name) @member
(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression) (generator_function)]) @function
(variable_declarator name: (identifier) @name value: (class)) @class
(program (lexical_declaration (variable_declarator name: (identifier) @name) @constant))
(program (export_statement (lexical_declaration (variable_declarator name: (identifier) @name) @constant)))
(pair key: (_) @name value: [(arrow_function) (function_expression)]) @method
"#;

const GO: &str = r#"
(function_declaration name: (identifier) @name) @function
(method_declaration name: (field_identifier) @name) @method
(type_spec name: (type_identifier) @name type: (struct_type)) @struct
(type_spec name: (type_identifier) @name type: (interface_type)) @interface
(type_spec name: (type_identifier) @name) @type
(type_alias name: (type_identifier) @name) @type
(method_elem name: (field_identifier) @name) @method
(field_declaration name: (field_identifier) @name) @field
(source_file (const_declaration (const_spec name: (identifier) @name) @constant))
(source_file (var_declaration (var_spec name: (identifier) @name) @constant))
"#;

/// Shared by C and C++ (C++'s grammar extends C's).
macro_rules! c_common {
    () => {
        r#"
(function_definition declarator: (function_declarator declarator: (_) @name)) @function
(function_definition declarator: (pointer_declarator declarator: (function_declarator declarator: (_) @name))) @function
(declaration declarator: (function_declarator declarator: (identifier) @name)) @function
(declaration declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))) @function
(struct_specifier name: (type_identifier) @name body: (_)) @struct
(union_specifier name: (type_identifier) @name body: (_)) @struct
(enum_specifier name: (type_identifier) @name body: (_)) @enum
(enumerator name: (identifier) @name) @member
(type_definition declarator: (type_identifier) @name) @type
(preproc_function_def name: (identifier) @name) @macro
(preproc_def name: (identifier) @name) @constant
"#
    };
}

const C: &str = concat!(c_common!(), r#"
(field_declaration declarator: (field_identifier) @name) @field
(field_declaration declarator: (pointer_declarator declarator: (field_identifier) @name)) @field
"#);

const CPP: &str = concat!(
    r#"
(namespace_definition name: (_) @name) @module
(class_specifier name: (_) @name body: (_)) @class
(function_definition declarator: (reference_declarator (function_declarator declarator: (_) @name))) @function
(field_declaration declarator: (function_declarator declarator: (_) @name)) @method
(declaration declarator: (function_declarator declarator: [(qualified_identifier) (destructor_name) (operator_name)] @name)) @function
(alias_declaration name: (type_identifier) @name) @type
(field_declaration declarator: (field_identifier) @name) @field
(field_declaration declarator: (pointer_declarator declarator: (field_identifier) @name)) @field
"#,
    c_common!()
);

const JAVA: &str = r#"
(class_declaration name: (identifier) @name) @class
(record_declaration name: (identifier) @name) @class
(interface_declaration name: (identifier) @name) @interface
(annotation_type_declaration name: (identifier) @name) @interface
(enum_declaration name: (identifier) @name) @enum
(enum_constant name: (identifier) @name) @member
(method_declaration name: (identifier) @name) @method
(constructor_declaration name: (identifier) @name) @method
(field_declaration declarator: (variable_declarator name: (identifier) @name)) @field
(constant_declaration declarator: (variable_declarator name: (identifier) @name)) @constant
"#;

const JSON: &str = r#"
(pair key: (_) @name) @key
"#;

const TOML: &str = r#"
(table [(bare_key) (dotted_key) (quoted_key)] @name) @module
(table_array_element [(bare_key) (dotted_key) (quoted_key)] @name) @module
(pair [(bare_key) (dotted_key) (quoted_key)] @name) @key
"#;

const YAML: &str = r#"
(block_mapping_pair key: (_) @name) @key
"#;

const MARKDOWN: &str = r#"
(section (atx_heading heading_content: (_) @name)) @heading
(setext_heading heading_content: (_) @name) @heading
"#;

const HTML: &str = r#"
(element (start_tag (tag_name) @name)) @element
(script_element (start_tag (tag_name) @name)) @element
(style_element (start_tag (tag_name) @name)) @element
"#;

const CSS: &str = r#"
(rule_set (selectors) @name) @rule
(media_statement) @module
(keyframes_statement (keyframes_name) @name) @module
(supports_statement) @module
"#;

const BASH: &str = r#"
(function_definition name: (word) @name) @function
(program (variable_assignment name: (variable_name) @name) @constant)
(program (declaration_command (variable_assignment name: (variable_name) @name)) @constant)
"#;
