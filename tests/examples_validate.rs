//! Every example folder is valid Terraform for the built provider (`terraform validate` through a
//! dev_overrides CLI config) and is formatted (`terraform fmt -check`).
//!
//! With dev_overrides, `terraform init` is neither needed nor possible offline (it still asks the
//! registry about the overridden provider), so folders that call local modules get
//! `terraform get`, which installs modules only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_terraform-provider-defender"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Copies `from` into `to`, leaving out Terraform's working files.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name == ".terraform"
            || name.starts_with("terraform.tfstate")
            || name == ".terraform.lock.hcl"
        {
            continue;
        }
        let p = e.path();
        if p.is_dir() {
            copy_tree(&p, &to.join(&name));
        } else {
            std::fs::copy(&p, to.join(&name)).unwrap();
        }
    }
}

/// Folders (relative to examples/) that hold `.tf` files, sorted.
fn example_dirs(examples: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let mut has_tf = false;
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != ".terraform") {
                    walk(base, &p, out);
                }
            } else if p.extension().is_some_and(|x| x == "tf") {
                has_tf = true;
            }
        }
        if has_tf {
            out.push(dir.strip_prefix(base).unwrap().display().to_string());
        }
    }
    let mut out = Vec::new();
    walk(examples, examples, &mut out);
    out.sort();
    out
}

struct Tf {
    cli: PathBuf,
}

impl Tf {
    fn new(work: &Path) -> Self {
        let cli = work.join("cli.tfrc");
        std::fs::write(
            &cli,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"registry.terraform.io/defender/defender\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                bin_dir().display()
            ),
        )
        .unwrap();
        Self { cli }
    }

    fn run(&self, dir: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::new("terraform");
        cmd.args(args)
            .current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", &self.cli)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1");
        // Validation must not depend on the developer's environment.
        for (k, _) in std::env::vars() {
            if k.starts_with("DEFENDER_") || k.starts_with("TF_LOG") || k.starts_with("TF_VAR_") {
                cmd.env_remove(k);
            }
        }
        cmd.output().expect("run terraform (is it on PATH?)")
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The error part of terraform's output (its dev_overrides warning is noise here).
fn errors(out: &Output) -> String {
    let all = text(out);
    match all.find("Error:") {
        Some(i) => all[i..].trim().to_owned(),
        None => all.trim().to_owned(),
    }
}

#[test]
fn every_example_folder_validates_against_the_built_provider() {
    let work = tempfile::tempdir().unwrap();
    let examples = work.path().join("examples");
    copy_tree(&root().join("examples"), &examples);
    let tf = Tf::new(work.path());

    let dirs = example_dirs(&examples);
    for want in [
        "provider",
        "resources/defender_distribution_profile",
        "resources/defender_profile_content",
        "resources/defender_profile_target_tenant",
        "data-sources/defender_distribution_status",
        "data-sources/defender_tenants",
        "modules/msp-baseline",
        "modules/msp-baseline-root",
    ] {
        assert!(
            dirs.iter().any(|d| d == want),
            "examples/{want} is missing (found {dirs:?})"
        );
    }

    let mut failures = Vec::new();
    for rel in &dirs {
        let dir = examples.join(rel);
        let mut out = tf.run(&dir, &["validate", "-no-color"]);
        if !out.status.success() && text(&out).contains("Module not installed") {
            let get = tf.run(&dir, &["get", "-no-color"]);
            if !get.status.success() {
                failures.push(format!(
                    "examples/{rel}: terraform get failed:\n{}",
                    errors(&get)
                ));
                continue;
            }
            out = tf.run(&dir, &["validate", "-no-color"]);
        }
        if !out.status.success() {
            failures.push(format!(
                "examples/{rel}: terraform validate failed:\n{}",
                errors(&out)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn examples_are_formatted() {
    let work = tempfile::tempdir().unwrap();
    let tf = Tf::new(work.path());
    let out = tf.run(
        &root().join("examples"),
        &["fmt", "-check", "-recursive", "-no-color"],
    );
    assert!(
        out.status.success(),
        "these example files need `terraform fmt`:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
