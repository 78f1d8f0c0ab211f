//! `docgen`: the provider's Terraform Registry docs from its schema, templates and examples.
//!
//! Inputs, all under one root directory (the repository):
//!
//! - the output of `terraform providers schema -json`;
//! - `templates/index.md.tmpl`, `templates/resources/<name>.md.tmpl`,
//!   `templates/data-sources/<name>.md.tmpl` (`<name>` without the `defender_` prefix); a missing
//!   template falls back to a built-in one;
//! - `templates/{resources,data-sources}/<name>.fields`: descriptions of the fields inside object
//!   types (`content.copies.status: …`), which the schema JSON cannot carry;
//! - `examples/provider/provider.tf`, `examples/resources/<type>/resource.tf` and `import.sh`,
//!   `examples/data-sources/<type>/data-source.tf`.
//!
//! Output: `index.md`, `resources/<name>.md`, `data-sources/<name>.md`. Everything else under the
//! docs directory (the hand-written `guides/`) is left alone. Output is a pure function of the
//! inputs: attributes, types and pages are sorted.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub mod diff;
pub mod schema_md;
pub mod template;

pub use schema_md::FieldDocs;

/// An error that stops generation, with a message for people.
#[derive(Debug)]
pub struct Error(String);

impl Error {
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// The directories of the docs tree that docgen owns entirely (stale pages there are removed).
pub const OWNED_DIRS: [&str; 2] = ["resources", "data-sources"];

/// Generated pages, keyed by their path relative to the docs directory (`/`-separated), plus
/// warnings about inputs that look wrong.
#[derive(Debug, Default)]
pub struct Generated {
    pub files: BTreeMap<String, String>,
    pub warnings: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Provider,
    Resource,
    DataSource,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Provider => "Provider",
            Kind::Resource => "Resource",
            Kind::DataSource => "Data Source",
        }
    }

    fn dir(self) -> &'static str {
        match self {
            Kind::Provider => "provider",
            Kind::Resource => "resources",
            Kind::DataSource => "data-sources",
        }
    }

    fn example_file(self) -> &'static str {
        match self {
            Kind::Provider => "provider.tf",
            Kind::Resource => "resource.tf",
            Kind::DataSource => "data-source.tf",
        }
    }
}

/// Where the schema, templates and examples come from.
pub struct Inputs<'a> {
    /// The parsed `terraform providers schema -json` output.
    pub schema: &'a Value,
    /// Repository root: `templates/` and `examples/` are found under it.
    pub root: &'a Path,
    /// Provider source address or its last part (`defender`); `None` picks the only provider.
    pub provider: Option<&'a str>,
}

/// Generates every page.
pub fn generate(inputs: &Inputs<'_>) -> Result<Generated, Error> {
    let (address, provider) = pick_provider(inputs.schema, inputs.provider)?;
    let name = address.rsplit('/').next().unwrap_or(&address).to_owned();
    let mut gen = Generated::default();
    let templates = inputs.root.join("templates");
    let examples = inputs.root.join("examples");

    let provider_block = provider
        .pointer("/provider/block")
        .ok_or_else(|| Error::new(format!("schema of {address} has no provider block")))?;
    let page = Page {
        kind: Kind::Provider,
        type_name: name.clone(),
        short_name: name.clone(),
        provider_name: name.clone(),
        block: provider_block,
        template: templates.join("index.md.tmpl"),
        fields: templates.join("index.fields"),
        example: examples.join("provider").join("provider.tf"),
        import: None,
    };
    gen.files.insert(
        "index.md".to_owned(),
        page.render(inputs.root, &mut gen.warnings)?,
    );

    for kind in [Kind::Resource, Kind::DataSource] {
        let key = match kind {
            Kind::Resource => "resource_schemas",
            _ => "data_source_schemas",
        };
        let empty = serde_json::Map::new();
        let types = provider
            .get(key)
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut type_names: Vec<&String> = types.keys().collect();
        type_names.sort();
        let prefix = format!("{name}_");
        for type_name in &type_names {
            let short = type_name
                .strip_prefix(&prefix)
                .unwrap_or(type_name.as_str())
                .to_owned();
            let block = types[type_name.as_str()]
                .get("block")
                .ok_or_else(|| Error::new(format!("schema of {type_name} has no block")))?;
            let example_dir = examples.join(kind.dir()).join(type_name.as_str());
            let page = Page {
                kind,
                type_name: (*type_name).clone(),
                short_name: short.clone(),
                provider_name: name.clone(),
                block,
                template: templates.join(kind.dir()).join(format!("{short}.md.tmpl")),
                fields: templates.join(kind.dir()).join(format!("{short}.fields")),
                example: example_dir.join(kind.example_file()),
                import: (kind == Kind::Resource).then(|| example_dir.join("import.sh")),
            };
            let text = page.render(inputs.root, &mut gen.warnings)?;
            gen.files.insert(format!("{}/{short}.md", kind.dir()), text);
        }
        warn_strays(
            &examples.join(kind.dir()),
            &type_names,
            |entry| entry.to_owned(),
            "example directory",
            &mut gen.warnings,
        );
        let shorts: Vec<String> = type_names
            .iter()
            .map(|t| t.strip_prefix(&prefix).unwrap_or(t).to_owned())
            .collect();
        let short_refs: Vec<&String> = shorts.iter().collect();
        warn_strays(
            &templates.join(kind.dir()),
            &short_refs,
            |entry| {
                entry
                    .strip_suffix(".md.tmpl")
                    .or_else(|| entry.strip_suffix(".fields"))
                    .unwrap_or(entry)
                    .to_owned()
            },
            "template",
            &mut gen.warnings,
        );
    }
    Ok(gen)
}

/// Warns about entries of `dir` that belong to no type of the schema.
fn warn_strays(
    dir: &Path,
    known: &[&String],
    key: impl Fn(&str) -> String,
    what: &str,
    warnings: &mut Vec<String>,
) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for n in names {
        let k = key(&n);
        if !known.iter().any(|t| **t == k) {
            warnings.push(format!(
                "{what} {} matches no type in the schema",
                dir.join(&n).display()
            ));
        }
    }
}

fn pick_provider<'a>(
    schema: &'a Value,
    wanted: Option<&str>,
) -> Result<(String, &'a Value), Error> {
    let providers = schema
        .get("provider_schemas")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            Error::new(
                "the input is not `terraform providers schema -json` output (no provider_schemas)",
            )
        })?;
    let mut matches: Vec<(&String, &Value)> = providers
        .iter()
        .filter(|(addr, _)| match wanted {
            None => true,
            Some(w) => addr.as_str() == w || addr.rsplit('/').next() == Some(w),
        })
        .collect();
    matches.sort_by(|a, b| a.0.cmp(b.0));
    match matches.as_slice() {
        [(addr, v)] => Ok(((*addr).clone(), v)),
        [] => Err(Error::new(format!(
            "no provider {} in the schema (it has: {})",
            wanted.unwrap_or("at all"),
            providers.keys().cloned().collect::<Vec<_>>().join(", ")
        ))),
        _ => Err(Error::new(format!(
            "the schema holds several providers ({}); choose one with --provider",
            matches
                .iter()
                .map(|(a, _)| a.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// One page to render.
struct Page<'a> {
    kind: Kind,
    type_name: String,
    short_name: String,
    provider_name: String,
    block: &'a Value,
    template: PathBuf,
    fields: PathBuf,
    example: PathBuf,
    import: Option<PathBuf>,
}

impl Page<'_> {
    fn render(&self, root: &Path, warnings: &mut Vec<String>) -> Result<String, Error> {
        let field_docs = read_field_docs(&self.fields)?;
        let mut notes = schema_md::Notes::default();
        let schema_md = schema_md::render(self.block, &field_docs, &mut notes)?;
        for path in &notes.undocumented {
            warnings.push(format!(
                "{}: nested field `{path}` has no description; add `{path}: …` to {}",
                self.type_name,
                self.fields.display()
            ));
        }
        for path in field_docs.keys() {
            if !notes.used.contains(path) {
                warnings.push(format!(
                    "{}: {} describes `{path}`, which the schema does not have",
                    self.type_name,
                    self.fields.display()
                ));
            }
        }

        let example = read_optional(&self.example)?;
        if let Some(text) = &example {
            let needle = match self.kind {
                Kind::Provider => format!("provider \"{}\"", self.provider_name),
                Kind::Resource => format!("resource \"{}\"", self.type_name),
                Kind::DataSource => format!("data \"{}\"", self.type_name),
            };
            if !text.contains(&needle) {
                warnings.push(format!(
                    "{} does not contain `{needle}`",
                    self.example.display()
                ));
            }
        } else {
            warnings.push(format!(
                "{}: no example at {}",
                self.type_name,
                self.example.display()
            ));
        }
        let import = match &self.import {
            Some(p) => read_optional(p)?,
            None => None,
        };

        let template_text = read_optional(&self.template)?;
        let (template_name, template_text) = match template_text {
            Some(t) => (self.template.display().to_string(), t),
            None => {
                if self.kind != Kind::Provider {
                    warnings.push(format!(
                        "{}: no template at {}; using the built-in one",
                        self.type_name,
                        self.template.display()
                    ));
                }
                (
                    "built-in template".to_owned(),
                    template::default_template(example.is_some(), import.is_some()),
                )
            }
        };

        let mut values: BTreeMap<&str, Option<String>> = BTreeMap::new();
        values.insert("Name", Some(self.type_name.clone()));
        values.insert("ShortName", Some(self.short_name.clone()));
        values.insert("Kind", Some(self.kind.label().to_owned()));
        values.insert("ProviderName", Some(self.provider_name.clone()));
        values.insert(
            "Description",
            Some(
                self.block
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .trim()
                    .to_owned(),
            ),
        );
        values.insert("SchemaMarkdown", Some(schema_md.trim_end().to_owned()));
        values.insert(
            "Example",
            example.as_deref().map(|t| template::fence("terraform", t)),
        );
        values.insert(
            "Import",
            import.as_deref().map(|t| template::fence("shell", t)),
        );

        let tmpl = template::Template::parse(&template_name, &template_text)?;
        let body = tmpl.render(&values, root, |name| match name {
            "Example" => format!("there is no example file {}", self.example.display()),
            "Import" => match &self.import {
                Some(p) => format!("there is no import script {}", p.display()),
                None => format!("a {} has no import", self.kind.label()),
            },
            _ => "it has no value".to_owned(),
        })?;

        let default_title = match self.kind {
            Kind::Provider => format!("Provider: {}", capitalize(&self.provider_name)),
            _ => format!(
                "{} {} - terraform-provider-{}",
                self.type_name,
                self.kind.label(),
                self.provider_name
            ),
        };
        let description = tmpl.front.get("description").cloned().unwrap_or_else(|| {
            first_paragraph(
                values
                    .get("Description")
                    .cloned()
                    .flatten()
                    .as_deref()
                    .unwrap_or(""),
            )
        });
        let front = template::frontmatter(
            tmpl.front
                .get("page_title")
                .map_or(default_title.as_str(), String::as_str),
            tmpl.front.get("subcategory").map_or("", String::as_str),
            &description,
        );
        Ok(format!("{front}\n{}\n", body.trim()))
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The first paragraph of a description, on one line.
fn first_paragraph(text: &str) -> String {
    text.split("\n\n")
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A file's contents, `None` when it does not exist; line endings normalised to `\n`.
pub fn read_optional(path: &Path) -> Result<Option<String>, Error> {
    match fs::read_to_string(path) {
        Ok(t) => Ok(Some(t.replace("\r\n", "\n"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::new(format!("cannot read {}: {e}", path.display()))),
    }
}

/// Parses a `.fields` file: `path: description` per line; `#` comments and blank lines skipped;
/// an indented line continues the previous description.
pub fn read_field_docs(path: &Path) -> Result<FieldDocs, Error> {
    let mut docs = FieldDocs::new();
    let Some(text) = read_optional(path)? else {
        return Ok(docs);
    };
    let mut last: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            match last.as_ref().and_then(|k| docs.get_mut(k)) {
                Some(d) => {
                    d.push(' ');
                    d.push_str(line.trim());
                    continue;
                }
                None => {
                    return Err(Error::new(format!(
                        "{}:{}: continuation line without a field before it",
                        path.display(),
                        i + 1
                    )))
                }
            }
        }
        let Some((key, desc)) = line.split_once(':') else {
            return Err(Error::new(format!(
                "{}:{}: expected `field.path: description`",
                path.display(),
                i + 1
            )));
        };
        let key = key.trim().to_owned();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(Error::new(format!(
                "{}:{}: bad field path {key:?}",
                path.display(),
                i + 1
            )));
        }
        if docs.insert(key.clone(), desc.trim().to_owned()).is_some() {
            return Err(Error::new(format!(
                "{}:{}: `{key}` is described twice",
                path.display(),
                i + 1
            )));
        }
        last = Some(key);
    }
    Ok(docs)
}

/// How the docs on disk differ from the generated ones.
#[derive(Debug, Default)]
pub struct Comparison {
    pub missing: Vec<String>,
    /// Path and a short diff.
    pub changed: Vec<(String, String)>,
    /// Pages in the owned directories that nothing generates.
    pub extra: Vec<String>,
}

impl Comparison {
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.changed.is_empty() && self.extra.is_empty()
    }

    /// A summary for people, one line per file, then the diffs.
    pub fn summary(&self, dir: &Path) -> String {
        let mut out = String::new();
        for p in &self.missing {
            out.push_str(&format!("  missing: {}\n", dir.join(p).display()));
        }
        for (p, _) in &self.changed {
            out.push_str(&format!("  changed: {}\n", dir.join(p).display()));
        }
        for p in &self.extra {
            out.push_str(&format!(
                "  stale:   {} (nothing generates it)\n",
                dir.join(p).display()
            ));
        }
        for (p, d) in &self.changed {
            out.push_str(&format!(
                "\n--- {} (on disk)\n+++ {} (generated)\n{d}",
                dir.join(p).display(),
                p
            ));
        }
        out
    }
}

/// Compares generated pages with the docs directory.
pub fn compare(gen: &Generated, dir: &Path) -> Result<Comparison, Error> {
    let mut cmp = Comparison::default();
    for (rel, want) in &gen.files {
        match read_optional(&dir.join(rel))? {
            None => cmp.missing.push(rel.clone()),
            Some(have) if &have != want => {
                cmp.changed
                    .push((rel.clone(), diff::short_diff(&have, want, 40)));
            }
            Some(_) => {}
        }
    }
    cmp.extra = extra_pages(gen, dir)?;
    Ok(cmp)
}

fn extra_pages(gen: &Generated, dir: &Path) -> Result<Vec<String>, Error> {
    let mut extra = Vec::new();
    for sub in OWNED_DIRS {
        let Ok(entries) = fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries {
            let e =
                e.map_err(|e| Error::new(format!("cannot list {}: {e}", dir.join(sub).display())))?;
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = format!("{sub}/{name}");
            if name.ends_with(".md") && !gen.files.contains_key(&rel) {
                extra.push(rel);
            }
        }
    }
    extra.sort();
    Ok(extra)
}

/// Writes the generated pages into `dir` (only those that changed) and removes stale pages from
/// the owned directories. Returns the paths written or removed.
pub fn write(gen: &Generated, dir: &Path) -> Result<Vec<String>, Error> {
    let mut touched = Vec::new();
    for (rel, text) in &gen.files {
        let path = dir.join(rel);
        if read_optional(&path)?.as_deref() == Some(text.as_str()) {
            continue;
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| Error::new(format!("cannot create {}: {e}", parent.display())))?;
        }
        fs::write(&path, text)
            .map_err(|e| Error::new(format!("cannot write {}: {e}", path.display())))?;
        touched.push(format!("wrote {rel}"));
    }
    for rel in extra_pages(gen, dir)? {
        let path = dir.join(&rel);
        fs::remove_file(&path)
            .map_err(|e| Error::new(format!("cannot remove {}: {e}", path.display())))?;
        touched.push(format!("removed {rel}"));
    }
    Ok(touched)
}
