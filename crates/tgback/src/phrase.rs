//! Phrases (spec §2): generated from the twelve word lists XQt uses (the BIP-39 lists of
//! `phrasegen` 1.1.2, byte for byte), eight words joined by one space, from the OS CSPRNG
//! with an unbiased index; and the Unicode forms a reader retries, because four of the lists
//! are stored decomposed (NFD) while keyboards type composed text (NFC).

use tgbox_core::{Entropy, OsEntropy};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Words in a generated phrase (XQt's default; 88 bits).
pub const DEFAULT_WORDS: usize = 8;

/// The languages, by the codes XQt uses.
pub const LANGUAGES: [&str; 12] = [
    "cs", "en", "es", "fr", "it", "ja", "ko", "pt", "ru", "tr", "zh_cn", "zh_hant",
];

fn list(code: &str) -> Option<&'static str> {
    Some(match code {
        "cs" => include_str!("../wordlists/cs.txt"),
        "en" => include_str!("../wordlists/en.txt"),
        "es" => include_str!("../wordlists/es.txt"),
        "fr" => include_str!("../wordlists/fr.txt"),
        "it" => include_str!("../wordlists/it.txt"),
        "ja" => include_str!("../wordlists/ja.txt"),
        "ko" => include_str!("../wordlists/ko.txt"),
        "pt" => include_str!("../wordlists/pt.txt"),
        "ru" => include_str!("../wordlists/ru.txt"),
        "tr" => include_str!("../wordlists/tr.txt"),
        "zh_cn" => include_str!("../wordlists/zh_cn.txt"),
        "zh_hant" => include_str!("../wordlists/zh_hant.txt"),
        _ => return None,
    })
}

/// The 2048 words of a language, as stored (NFD for es, fr, ja, ko).
///
/// # Errors
/// [`Error::InvalidInput`] for an unknown language code.
pub fn wordlist(code: &str) -> Result<Vec<&'static str>> {
    let text = list(code).ok_or_else(|| {
        Error::InvalidInput(format!(
            "unknown phrase language {code:?}: one of {}",
            LANGUAGES.join(", ")
        ))
    })?;
    Ok(text.lines().collect())
}

/// `words` words of language `code`, joined by one ASCII space, exactly as the list stores
/// them (so the phrase is the one XQt would show).
///
/// # Errors
/// [`Error::InvalidInput`] for an unknown language or no words; [`Error::Core`] when the OS
/// random source fails.
pub fn generate(code: &str, words: usize) -> Result<Zeroizing<String>> {
    generate_with(code, words, &mut OsEntropy)
}

/// [`generate`] with a given random source.
///
/// # Errors
/// As [`generate`].
pub fn generate_with(code: &str, words: usize, rng: &mut dyn Entropy) -> Result<Zeroizing<String>> {
    if words == 0 {
        return Err(Error::InvalidInput(
            "a phrase needs at least one word".into(),
        ));
    }
    let list = wordlist(code)?;
    let mut out = Zeroizing::new(String::new());
    for i in 0..words {
        let mut b = Zeroizing::new([0u8; 2]);
        rng.fill(&mut b[..])?;
        // 2048 is a power of two: the low 11 bits of two random bytes are uniform.
        let idx = usize::from(u16::from_be_bytes(*b) & 0x7FF);
        if i > 0 {
            out.push(' ');
        }
        out.push_str(list[idx]);
    }
    Ok(out)
}

/// The forms of a phrase to try, in order: exactly as given, then NFC and NFD when they
/// differ (spec §2.2: a phrase from an NFD list typed on a keyboard arrives as NFC).
pub fn variants(phrase: &str) -> Vec<Zeroizing<String>> {
    let mut out = vec![Zeroizing::new(phrase.to_owned())];
    for form in [
        Zeroizing::new(phrase.nfc().collect::<String>()),
        Zeroizing::new(phrase.nfd().collect::<String>()),
    ] {
        if !out.iter().any(|o| **o == *form) {
            out.push(form);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_has_2048_distinct_words() {
        for code in LANGUAGES {
            let words = wordlist(code).unwrap();
            assert_eq!(words.len(), 2048, "{code}");
            let mut sorted = words.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), 2048, "{code}");
        }
        assert!(wordlist("xx").is_err());
    }

    #[test]
    fn generated_phrases() {
        let p = generate("en", 8).unwrap();
        assert_eq!(p.split(' ').count(), 8);
        let en = wordlist("en").unwrap();
        assert!(p.split(' ').all(|w| en.contains(&w)));
        assert_ne!(*generate("en", 8).unwrap(), *p);
        let ja = generate("ja", 3).unwrap();
        assert_eq!(ja.split(' ').count(), 3);
        assert!(generate("en", 0).is_err());
    }

    #[test]
    fn variants_in_order() {
        assert_eq!(variants("plain ascii").len(), 1);
        let nfd = "a\u{301}baco";
        let v = variants(nfd);
        assert_eq!(v.len(), 2);
        assert_eq!(*v[0], nfd);
        assert_eq!(*v[1], "\u{e1}baco");
        let v = variants("\u{e1}baco");
        assert_eq!(*v[1], nfd);
    }
}
