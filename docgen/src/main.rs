//! `docgen`: writes or checks the provider's Registry docs. See the library docs for the layout.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use docgen::{compare, generate, write, Error, Inputs};

const USAGE: &str = "\
usage: docgen [--schema FILE|-] [--root DIR] [--provider NAME] [--strict] [--out DIR | --check DIR]

Generates Terraform Registry docs from `terraform providers schema -json` output,
templates/ and examples/ under --root (default: .).

  --schema FILE   the schema JSON (default: - for stdin)
  --root DIR      repository root holding templates/ and examples/ (default: .)
  --provider NAME provider address or name, when the schema holds several
  --strict        treat warnings (undocumented fields, missing examples, …) as errors
  --out DIR       write the docs into DIR (default: docs); hand-written pages such as
                  DIR/guides/ are left alone, stale generated pages are removed
  --check DIR     write nothing; exit 1 with a summary when DIR differs from what would
                  be generated

Exit codes: 0 ok, 1 docs differ (--check), 2 error.";

struct Args {
    schema: String,
    root: PathBuf,
    provider: Option<String>,
    strict: bool,
    out: Option<PathBuf>,
    check: Option<PathBuf>,
}

fn parse_args() -> Result<Args, Error> {
    let mut args = Args {
        schema: "-".to_owned(),
        root: PathBuf::from("."),
        provider: None,
        strict: false,
        out: None,
        check: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| Error::new(format!("{name} needs a value\n\n{USAGE}")))
        };
        match a.as_str() {
            "--schema" => args.schema = value("--schema")?,
            "--root" => args.root = PathBuf::from(value("--root")?),
            "--provider" => args.provider = Some(value("--provider")?),
            "--out" => args.out = Some(PathBuf::from(value("--out")?)),
            "--check" => args.check = Some(PathBuf::from(value("--check")?)),
            "--strict" => args.strict = true,
            "-h" | "--help" => return Err(Error::new(USAGE)),
            other => return Err(Error::new(format!("unknown argument {other:?}\n\n{USAGE}"))),
        }
    }
    if args.out.is_some() && args.check.is_some() {
        return Err(Error::new(format!(
            "use --out or --check, not both\n\n{USAGE}"
        )));
    }
    Ok(args)
}

fn read_schema(source: &str) -> Result<serde_json::Value, Error> {
    let text = if source == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::new(format!("cannot read the schema from stdin: {e}")))?;
        s
    } else {
        std::fs::read_to_string(source)
            .map_err(|e| Error::new(format!("cannot read the schema {source}: {e}")))?
    };
    serde_json::from_str(&text).map_err(|e| {
        Error::new(format!(
            "the schema {} is not JSON ({e}); pass the output of `terraform providers schema -json`",
            if source == "-" { "on stdin" } else { source }
        ))
    })
}

fn run() -> Result<ExitCode, Error> {
    let args = parse_args()?;
    let schema = read_schema(&args.schema)?;
    let generated = generate(&Inputs {
        schema: &schema,
        root: &args.root,
        provider: args.provider.as_deref(),
    })?;
    let mut err = std::io::stderr().lock();
    for w in &generated.warnings {
        let _ = writeln!(err, "docgen: warning: {w}");
    }
    if args.strict && !generated.warnings.is_empty() {
        return Err(Error::new(format!(
            "{} warning(s), and --strict is on",
            generated.warnings.len()
        )));
    }
    if let Some(dir) = &args.check {
        let cmp = compare(&generated, dir)?;
        if cmp.is_clean() {
            return Ok(ExitCode::SUCCESS);
        }
        let _ = writeln!(
            err,
            "docgen: {} differs from what docgen generates:\n{}",
            dir.display(),
            cmp.summary(dir)
        );
        return Ok(ExitCode::from(1));
    }
    let dir = args.out.unwrap_or_else(|| PathBuf::from("docs"));
    for line in write(&generated, &dir)? {
        let _ = writeln!(err, "docgen: {line}");
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "docgen: {e}");
            ExitCode::from(2)
        }
    }
}
