//! docs/ must be what `scripts/docs.sh` generates from the built provider's schema, templates/
//! and examples/; and every page (generated or hand-written) must carry Registry frontmatter and
//! only link to pages that exist.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding the built provider.
fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_terraform-provider-defender"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The docgen binary next to the provider, (re)built by cargo: a no-op when it is current.
fn docgen_bin() -> PathBuf {
    let dir = bin_dir();
    let target_dir = dir.parent().unwrap();
    let profile = dir.file_name().unwrap().to_string_lossy().into_owned();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-p", "docgen", "--quiet", "--target-dir"])
        .arg(target_dir)
        .current_dir(root());
    match profile.as_str() {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    let status = cmd.status().expect("run cargo build -p docgen");
    assert!(status.success(), "building docgen failed");
    let path = dir.join(format!("docgen{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "no docgen at {}", path.display());
    path
}

/// `terraform providers schema -json` of the built provider, through a dev_overrides config.
fn provider_schema(work: &Path) -> PathBuf {
    let cli = work.join("cli.tfrc");
    std::fs::write(
        &cli,
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"registry.terraform.io/defender/defender\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            bin_dir().display()
        ),
    )
    .unwrap();
    std::fs::write(
        work.join("main.tf"),
        "terraform {\n  required_providers {\n    defender = { source = \"defender/defender\" }\n  }\n}\n",
    )
    .unwrap();
    let mut cmd = Command::new("terraform");
    cmd.args(["providers", "schema", "-json"])
        .current_dir(work)
        .env("TF_CLI_CONFIG_FILE", &cli)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1");
    for var in ["TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_PATH", "TF_LOG_CORE"] {
        cmd.env_remove(var);
    }
    let out = cmd.output().expect("run terraform (is it on PATH?)");
    assert!(
        out.status.success(),
        "terraform providers schema -json failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let path = work.join("schema.json");
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

#[test]
fn docs_match_the_provider_schema_templates_and_examples() {
    let work = tempfile::tempdir().unwrap();
    let schema = provider_schema(work.path());
    let out = Command::new(docgen_bin())
        .arg("--strict")
        .arg("--schema")
        .arg(&schema)
        .arg("--root")
        .arg(root())
        .arg("--check")
        .arg(root().join("docs"))
        .output()
        .expect("run docgen");
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {}
        Some(1) => panic!("docs/ is stale: run scripts/docs.sh\n\n{stderr}"),
        _ => panic!(
            "docgen could not generate the docs (fix what it names, then run scripts/docs.sh):\n\n{stderr}"
        ),
    }
}

/// Every Markdown page under docs/, sorted.
fn pages() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("docs"), &mut out);
    out.sort();
    out
}

/// The frontmatter keys of a page (a leading `---` block), or None.
fn frontmatter(text: &str) -> Option<Vec<(String, String)>> {
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some(
        rest[..end]
            .lines()
            .filter(|l| !l.starts_with(' ') && !l.trim().is_empty())
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
            .collect(),
    )
}

#[test]
fn every_page_has_registry_frontmatter() {
    let pages = pages();
    assert!(pages.len() >= 6, "expected docs/ pages, found {pages:?}");
    let mut problems = Vec::new();
    for page in &pages {
        let rel = page.strip_prefix(root()).unwrap().display().to_string();
        let text = std::fs::read_to_string(page).unwrap();
        let Some(front) = frontmatter(&text) else {
            problems.push(format!("{rel}: no frontmatter"));
            continue;
        };
        let get = |k: &str| front.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        for key in ["page_title", "subcategory", "description"] {
            if get(key).is_none() {
                problems.push(format!("{rel}: frontmatter lacks {key}"));
            }
        }
        if get("page_title").is_some_and(|t| t.is_empty()) {
            problems.push(format!("{rel}: empty page_title"));
        }
        if rel.contains("/guides/") && get("subcategory").as_deref() != Some("Guides") {
            problems.push(format!("{rel}: guides need subcategory: \"Guides\""));
        }
    }
    let guides: Vec<_> = pages
        .iter()
        .filter(|p| p.to_string_lossy().contains("/guides/"))
        .collect();
    for want in [
        "getting-started.md",
        "authentication.md",
        "sync-and-status.md",
        "api-contract.md",
    ] {
        if !guides.iter().any(|g| g.ends_with(want)) {
            problems.push(format!("docs/guides/{want} is missing"));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/ pages:\n  {}",
        problems.join("\n  ")
    );
}

/// `(target)` of every Markdown link `[text](target)` outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    out
}

/// Anchors a page offers: `<a id="…">` and GitHub-style heading slugs.
fn anchors(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(i) = line.find("<a id=\"") {
            if let Some(end) = line[i + 7..].find('"') {
                out.push(line[i + 7..i + 7 + end].to_owned());
            }
        }
        if let Some(h) = line.strip_prefix('#') {
            let title = h.trim_start_matches('#').trim().to_lowercase();
            let slug: String = title
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect();
            out.push(slug);
        }
    }
    out
}

#[test]
fn relative_links_point_at_existing_pages_and_anchors() {
    let mut problems = Vec::new();
    for page in pages() {
        let rel = page.strip_prefix(root()).unwrap().display().to_string();
        let text = std::fs::read_to_string(&page).unwrap();
        for link in links(&text) {
            if link.starts_with("http://")
                || link.starts_with("https://")
                || link.starts_with("mailto:")
            {
                continue;
            }
            let (path, anchor) = link.split_once('#').unwrap_or((link.as_str(), ""));
            let target_text = if path.is_empty() {
                text.clone()
            } else {
                let target = page.parent().unwrap().join(path);
                match std::fs::read_to_string(&target) {
                    Ok(t) => t,
                    Err(_) => {
                        problems.push(format!("{rel}: link ({link}) points at a missing page"));
                        continue;
                    }
                }
            };
            if !anchor.is_empty() && !anchors(&target_text).iter().any(|a| a == anchor) {
                problems.push(format!("{rel}: link ({link}) points at a missing anchor"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "broken links in docs/:\n  {}",
        problems.join("\n  ")
    );
}
