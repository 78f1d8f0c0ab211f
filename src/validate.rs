//! Checks shared by resources and data sources; run at plan time.

use std::time::Duration;

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hex digits, either case.
pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Parses a Go-style duration (`"10m"`, `"1h30m"`, `"45s"`, `"500ms"`), as Terraform users write them.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("is empty".into());
    }
    if t == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("{t:?} has a number without a unit (use ms, s, m or h)"))?;
        if num_len == 0 {
            return Err(format!(
                "{t:?} is not a duration like \"30s\", \"10m\" or \"1h30m\""
            ));
        }
        let (num, tail) = rest.split_at(num_len);
        let value: f64 = num
            .parse()
            .map_err(|_| format!("{t:?} has a malformed number {num:?}"))?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_len);
        let secs = match unit {
            "ns" => value / 1e9,
            "us" | "µs" => value / 1e6,
            "ms" => value / 1e3,
            "s" => value,
            "m" => value * 60.0,
            "h" => value * 3600.0,
            _ => {
                return Err(format!(
                    "{t:?} has an unknown unit {unit:?} (use ms, s, m or h)"
                ))
            }
        };
        total += Duration::try_from_secs_f64(secs).map_err(|_| format!("{t:?} is out of range"))?;
        rest = next;
    }
    Ok(total)
}

/// Length in characters, as the API counts them.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids() {
        assert!(is_guid("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"));
        assert!(is_guid("0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"));
        assert!(!is_guid("0f1e2d3c4b5a-6978-8796-a5b4c3d2e1f0"));
        assert!(!is_guid("not-a-guid"));
        assert!(!is_guid("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fg"));
        assert!(!is_guid(""));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("ten minutes").is_err());
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("").is_err());
    }
}
