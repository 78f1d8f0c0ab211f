//! A deliberately small template language for the prose pages.
//!
//! - `{{ .Name }}`, `{{ .ShortName }}`, `{{ .Kind }}`, `{{ .ProviderName }}`, `{{ .Description }}`,
//!   `{{ .SchemaMarkdown }}`, `{{ .Example }}`, `{{ .Import }}`: values of the page.
//! - `{{ codefile "lang" "path/from/repo/root" }}`: a file as a fenced code block;
//!   `{{ tffile "path" }}` is `codefile "terraform"`.
//! - An optional leading frontmatter block (`---` … `---`) may set `page_title`, `subcategory` and
//!   `description`; docgen writes the page's frontmatter itself.
//!
//! Anything else between `{{` and `}}` is an error, so a typo never reaches the Registry.

use std::collections::BTreeMap;
use std::path::Path;

use crate::{read_optional, Error};

enum Part {
    Text(String),
    Value(String),
    CodeFile { lang: String, path: String },
}

pub struct Template {
    name: String,
    pub front: BTreeMap<String, String>,
    parts: Vec<Part>,
}

const FRONT_KEYS: [&str; 3] = ["page_title", "subcategory", "description"];

impl Template {
    pub fn parse(name: &str, text: &str) -> Result<Self, Error> {
        let text = text.replace("\r\n", "\n");
        let (front, body) = split_front(name, &text)?;
        let mut parts = Vec::new();
        let mut rest = body;
        while let Some(start) = rest.find("{{") {
            parts.push(Part::Text(rest[..start].to_owned()));
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| Error::new(format!("{name}: `{{{{` without `}}}}`")))?;
            parts.push(parse_action(name, after[..end].trim())?);
            rest = &after[end + 2..];
        }
        parts.push(Part::Text(rest.to_owned()));
        Ok(Self {
            name: name.to_owned(),
            front,
            parts,
        })
    }

    /// Fills the template. `values` maps placeholder names to their text, `None` when the page
    /// has no such value (then `why_missing` explains it in the error).
    pub fn render(
        &self,
        values: &BTreeMap<&str, Option<String>>,
        root: &Path,
        why_missing: impl Fn(&str) -> String,
    ) -> Result<String, Error> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Value(v) => match values.get(v.as_str()) {
                    Some(Some(text)) => out.push_str(text),
                    Some(None) => {
                        return Err(Error::new(format!(
                            "{}: uses {{{{ .{v} }}}}, but {}",
                            self.name,
                            why_missing(v)
                        )))
                    }
                    None => {
                        return Err(Error::new(format!(
                            "{}: unknown placeholder {{{{ .{v} }}}}; known: {}",
                            self.name,
                            values
                                .keys()
                                .map(|k| format!(".{k}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )))
                    }
                },
                Part::CodeFile { lang, path } => {
                    let full = root.join(path);
                    let text = read_optional(&full)?.ok_or_else(|| {
                        Error::new(format!("{}: codefile {path:?} does not exist", self.name))
                    })?;
                    out.push_str(&fence(lang, &text));
                }
            }
        }
        Ok(out)
    }
}

fn split_front<'a>(
    name: &str,
    text: &'a str,
) -> Result<(BTreeMap<String, String>, &'a str), Error> {
    let mut front = BTreeMap::new();
    let Some(after) = text.strip_prefix("---\n") else {
        return Ok((front, text));
    };
    let end = after
        .find("\n---\n")
        .ok_or_else(|| Error::new(format!("{name}: frontmatter is not closed by a `---` line")))?;
    for line in after[..end].lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (k, v) = line.split_once(':').ok_or_else(|| {
            Error::new(format!(
                "{name}: frontmatter line {line:?} is not `key: value`"
            ))
        })?;
        let k = k.trim();
        if !FRONT_KEYS.contains(&k) {
            return Err(Error::new(format!(
                "{name}: frontmatter key {k:?} is not one of {}",
                FRONT_KEYS.join(", ")
            )));
        }
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or(v)
            .replace("\\\"", "\"");
        front.insert(k.to_owned(), v);
    }
    Ok((front, &after[end + 5..]))
}

fn parse_action(name: &str, action: &str) -> Result<Part, Error> {
    if let Some(v) = action.strip_prefix('.') {
        if !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(Part::Value(v.to_owned()));
        }
    }
    let words = split_words(action).ok_or_else(|| bad_action(name, action))?;
    match words.as_slice() {
        [f, lang, path] if f == "codefile" => Ok(Part::CodeFile {
            lang: lang.clone(),
            path: path.clone(),
        }),
        [f, path] if f == "tffile" => Ok(Part::CodeFile {
            lang: "terraform".to_owned(),
            path: path.clone(),
        }),
        _ => Err(bad_action(name, action)),
    }
}

fn bad_action(name: &str, action: &str) -> Error {
    Error::new(format!(
        "{name}: cannot understand {{{{ {action} }}}}; use {{{{ .Value }}}}, {{{{ codefile \"lang\" \"path\" }}}} or {{{{ tffile \"path\" }}}}"
    ))
}

/// Splits `codefile "terraform" "a b.tf"` into words; quoted words may hold spaces.
fn split_words(s: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut w = String::new();
            loop {
                match chars.next()? {
                    '"' => break,
                    ch => w.push(ch),
                }
            }
            words.push(w);
        } else {
            let mut w = String::new();
            while let Some(&ch) = chars.peek() {
                if ch.is_whitespace() {
                    break;
                }
                w.push(ch);
                chars.next();
            }
            words.push(w);
        }
    }
    Some(words)
}

/// A fenced code block.
pub fn fence(lang: &str, text: &str) -> String {
    format!("```{lang}\n{}\n```", text.trim_matches('\n').trim_end())
}

/// The Registry frontmatter of a page.
pub fn frontmatter(page_title: &str, subcategory: &str, description: &str) -> String {
    let mut out = String::from("---\n");
    out.push_str(&format!("page_title: {}\n", quote(page_title)));
    out.push_str(&format!("subcategory: {}\n", quote(subcategory)));
    out.push_str("description: |-\n");
    for line in description.trim().lines() {
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            out.push_str("  ");
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out.push_str("---\n");
    out
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The page layout used when a type has no template of its own.
pub fn default_template(has_example: bool, has_import: bool) -> String {
    let mut t = String::from("# {{ .Name }} ({{ .Kind }})\n\n{{ .Description }}\n\n");
    if has_example {
        t.push_str("## Example Usage\n\n{{ .Example }}\n\n");
    }
    t.push_str("{{ .SchemaMarkdown }}\n");
    if has_import {
        t.push_str(
            "\n## Import\n\nImport is supported using the following syntax:\n\n{{ .Import }}\n",
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> BTreeMap<&'static str, Option<String>> {
        let mut v = BTreeMap::new();
        v.insert("Name", Some("defender_x".to_owned()));
        v.insert("Import", None);
        v
    }

    #[test]
    fn placeholders_and_front() {
        let t =
            Template::parse("t", "---\nsubcategory: \"Guides\"\n---\n# {{ .Name }}!\n").unwrap();
        assert_eq!(
            t.front.get("subcategory").map(String::as_str),
            Some("Guides")
        );
        let out = t
            .render(&values(), Path::new("."), |_| String::new())
            .unwrap();
        assert_eq!(out, "# defender_x!\n");
    }

    #[test]
    fn unknown_and_missing_values_are_errors() {
        let t = Template::parse("t", "{{ .Nope }}").unwrap();
        let e = t
            .render(&values(), Path::new("."), |_| String::new())
            .unwrap_err();
        assert!(e.to_string().contains("unknown placeholder"), "{e}");
        let t = Template::parse("t", "{{ .Import }}").unwrap();
        let e = t
            .render(&values(), Path::new("."), |_| "no import.sh".into())
            .unwrap_err();
        assert!(e.to_string().contains("no import.sh"), "{e}");
        assert!(Template::parse("t", "{{ range .X }}").is_err());
        assert!(Template::parse("t", "{{ .Name ").is_err());
        assert!(Template::parse("t", "---\nfoo: 1\n---\n").is_err());
    }

    #[test]
    fn frontmatter_is_yaml_safe() {
        let f = frontmatter("a \"b\"", "", "line one\nline: two");
        assert_eq!(
            f,
            "---\npage_title: \"a \\\"b\\\"\"\nsubcategory: \"\"\ndescription: |-\n  line one\n  line: two\n---\n"
        );
    }

    #[test]
    fn words() {
        assert_eq!(
            split_words(r#"codefile "terraform" "a b.tf""#).unwrap(),
            vec!["codefile", "terraform", "a b.tf"]
        );
        assert!(split_words(r#"codefile "x"#).is_none());
    }
}
