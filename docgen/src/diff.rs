//! A short line diff for `--check` output.

/// Lines removed (`-`) and added (`+`), each with its line number in the old / new text; at most
/// `max` lines, then a count of what was left out.
pub fn short_diff(old: &str, new: &str, max: usize) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut out = Vec::new();
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        let first = a
            .iter()
            .zip(&b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        return format!("  (large files; first difference at line {})\n", first + 1);
    }
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(format!("-{:>5} | {}", i + 1, a[i]));
            i += 1;
        } else {
            out.push(format!("+{:>5} | {}", j + 1, b[j]));
            j += 1;
        }
    }
    if old.ends_with('\n') != new.ends_with('\n') {
        out.push("  (the files differ in their final newline)".to_owned());
    }
    let total = out.len();
    let mut text: String = out.into_iter().take(max).map(|l| l + "\n").collect();
    if total > max {
        text.push_str(&format!("  … and {} more changed lines\n", total - max));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::short_diff;

    #[test]
    fn shows_changes_with_line_numbers() {
        let d = short_diff("a\nb\nc\n", "a\nB\nc\nd\n", 10);
        assert_eq!(d, "-    2 | b\n+    2 | B\n+    4 | d\n");
        let d = short_diff("1\n2\n3\n", "x\ny\nz\n", 2);
        assert!(d.ends_with("… and 4 more changed lines\n"), "{d}");
    }
}
