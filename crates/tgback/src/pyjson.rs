//! JSON text exactly as Python's `json.dumps` writes it with its defaults (spec §5.1 step 3):
//! separators `", "` and `": "`, keys in insertion order, `ensure_ascii` (every non-ASCII
//! character as `\uXXXX`, astral ones as surrogate pairs), floats in `repr` form. The reader
//! takes any JSON; this only matters for byte-identical capsules.

use serde_json::Value;

/// `json.dumps(value)`.
pub fn dumps(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                out.push_str(&float_repr(f));
            } else {
                out.push_str(&n.to_string());
            }
        }
        Value::String(s) => string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(v, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                string(k, out);
                out.push_str(": ");
                write(v, out);
            }
            out.push('}');
        }
    }
}

fn string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// Python's `repr(float)`: the shortest text that reads back to the same value; `.0` on whole
/// numbers; exponent form below 1e-4 and from 1e16 up.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let a = f.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        // Rust's `{:e}` is shortest round-trip too: `1e16`, `1.5e-5`. Python writes the
        // exponent with a sign and at least two digits: `1e+16`, `1.5e-05`.
        let s = format!("{f:e}");
        let (mant, exp) = s.split_once('e').expect("exponent form");
        let exp: i32 = exp.parse().expect("integer exponent");
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mant}e{sign}{:02}", exp.abs());
    }
    let s = format!("{f}");
    if s.contains('.') { s } else { format!("{s}.0") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn like_python() {
        assert_eq!(
            dumps(&json!({"a": 1, "b": [1, 2.5, "x"], "c": null, "d": true, "k_deco": []})),
            r#"{"a": 1, "b": [1, 2.5, "x"], "c": null, "d": true, "k_deco": []}"#
        );
        assert_eq!(
            dumps(&json!("é\u{1F600}\n\"\\\u{1}")),
            r#""\u00e9\ud83d\ude00\n\"\\\u0001""#
        );
        for (f, want) in [
            (1737203696.789012, "1737203696.789012"),
            (1737203696.5, "1737203696.5"),
            (1737203696.0, "1737203696.0"),
            (0.0, "0.0"),
            (-2.0, "-2.0"),
            (1e16, "1e+16"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (123456789012345680.0, "1.2345678901234568e+17"),
        ] {
            assert_eq!(float_repr(f), want);
        }
    }
}
