//! Reading backups from the channel's public web preview (`https://t.me/s/<KeyID>`), with the
//! repairing reader of spec §9.2 rather than the reference's raw regex:
//!
//! * each post's `tgme_widget_message_text` block is read in page order (the whole page with
//!   the reference's marker search when the layout has no such block);
//! * `<br>` becomes a newline, `<i>`/`<em>` and their ends become `__` again (the reference's
//!   markdown send ate those underscores, §9.1), other tags go, entities are decoded;
//! * a candidate is a text that starts and ends with the literal marker `+T+` — never the
//!   reference's character-set strip, which eats a payload ending in `T`, `b` or `r`.
//!
//! Candidates come back newest first: the page lists posts oldest first.

use crate::backup::MARKER;

/// The capsules on a page, newest first.
pub fn candidates(html: &str) -> Vec<String> {
    let blocks = message_blocks(html);
    let texts: Vec<String> = if blocks.is_empty() {
        marker_runs(html)
    } else {
        blocks.iter().map(|b| text_of(b)).collect()
    };
    let mut out: Vec<String> = texts
        .iter()
        .filter_map(|t| {
            let t = t.trim();
            let inner = t.strip_prefix(MARKER)?.strip_suffix(MARKER)?;
            let inner = inner.trim();
            (!inner.is_empty()).then(|| inner.to_owned())
        })
        .collect();
    out.reverse();
    out
}

/// The inner HTML of every `div` whose class list holds `tgme_widget_message_text`.
fn message_blocks(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = html[at..].find("tgme_widget_message_text") {
        let pos = at + found;
        // The opening tag around this class name.
        let Some(open) = html[..pos].rfind('<') else {
            break;
        };
        let Some(end) = html[pos..].find('>') else {
            break;
        };
        let content_start = pos + end + 1;
        at = content_start;
        if !html[open..].starts_with("<div") {
            continue;
        }
        // Find the matching </div>, counting nested divs.
        let mut depth = 1usize;
        let mut i = content_start;
        let mut close = None;
        while i < html.len() {
            let rest = &html[i..];
            let next_open = rest.find("<div");
            let next_close = rest.find("</div");
            match (next_open, next_close) {
                (Some(o), Some(c)) if o < c => {
                    depth += 1;
                    i += o + 4;
                }
                (_, Some(c)) => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(i + c);
                        break;
                    }
                    i += c + 5;
                }
                _ => break,
            }
        }
        let Some(close) = close else { break };
        out.push(&html[content_start..close]);
        at = close;
    }
    out
}

/// The reference's view: every `+T+ … +T+` run on one line, with literal `<br/>`-style line
/// breaks turned into newlines.
fn marker_runs(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in html.lines() {
        let mut rest = line;
        while let Some(start) = rest.find(MARKER) {
            let after = &rest[start + MARKER.len()..];
            let Some(end) = after.find(MARKER) else { break };
            let inner = &after[..end];
            out.push(text_of(&format!("{MARKER}{inner}{MARKER}")));
            rest = &after[end + MARKER.len()..];
        }
    }
    out
}

/// Text of an HTML fragment: line breaks, italics repaired to `__`, tags dropped, entities
/// decoded.
fn text_of(fragment: &str) -> String {
    let mut out = String::with_capacity(fragment.len());
    let mut rest = fragment;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt]));
        let Some(gt) = rest[lt..].find('>') else {
            rest = &rest[lt..];
            break;
        };
        let tag = rest[lt + 1..lt + gt].trim().to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        match name.as_str() {
            "br" => out.push('\n'),
            "i" | "em" => out.push_str("__"),
            _ => {}
        }
        rest = &rest[lt + gt + 1..];
    }
    out.push_str(&decode_entities(rest));
    out
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let end = tail.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(h) => u32::from_str_radix(h, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code)
                }
            }?;
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_repairs() {
        let html = r#"<div class="tgme_widget_message_text js-message_text" dir="auto">+T+<br/>JSON_A_<i>b</i>&amp;c<br/>+T+</div>
<div class="x"><div class="tgme_widget_message_text">not a backup<div>nested</div></div></div>
<div class="tgme_widget_message_text">+T+<br/>second<br />+T+</div>"#;
        assert_eq!(candidates(html), ["second", "JSON_A___b__&c"]);
    }

    #[test]
    fn the_marker_is_literal() {
        // The reference strips the characters + T < b r / > from both ends; a payload ending
        // in T, b or r survives here.
        let html = r#"<div class="tgme_widget_message_text">+T+<br/>JSON_AES_CBC_UB64_abcTbr<br/>+T+</div>"#;
        assert_eq!(candidates(html), ["JSON_AES_CBC_UB64_abcTbr"]);
    }

    #[test]
    fn fallback_without_the_layout() {
        let html = "<p>+T+<br/>one<br/>+T+</p><p>+T+<br/>two<br/>+T+</p>";
        assert_eq!(candidates(html), ["two", "one"]);
        assert!(candidates("<html>nothing</html>").is_empty());
    }

    #[test]
    fn entities() {
        assert_eq!(
            decode_entities("a&lt;b&gt;&#65;&#x42;&quot;&bogus;&"),
            "a<b>AB\"&bogus;&"
        );
    }
}
