//! Searching a box: the SearchFilter of spec/tgbox-boxes.md §5.3 with the reference's
//! semantics, minus its bugs.
//!
//! * Include: every present field must pass (AND across fields); within a field any value may
//!   match (OR). Exclude: a file is dropped if any present field passes.
//! * Text fields match a case-sensitive substring, or with [`Criteria::regex`] an unanchored
//!   regular-expression search.
//! * `min_*`/`max_*` bounds are inclusive (one value each, not "the last of a list").
//! * Fixed: `imported` honours its value (the reference treats `False` as `True`); an unknown
//!   scope yields nothing for itself instead of ending the whole search; `file_salt` and
//!   `verbyte` given as bytes compare as bytes instead of crashing.
//! * `sender` is a remote-only field and has no local meaning: it is absent here.

use regex::Regex;
use regex::bytes::Regex as BytesRegex;

use crate::error::{Error, Result};
use crate::index::IndexedFile;

/// One side (include or exclude) of a filter. Empty fields are absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Criteria {
    /// Box directories to search in (recursively unless `non_recursive_scope`).
    pub scope: Vec<String>,
    /// Do not descend into the subdirectories of a scope.
    pub non_recursive_scope: bool,
    /// File ids.
    pub id: Vec<i64>,
    /// Smallest file id (inclusive).
    pub min_id: Option<i64>,
    /// Largest file id (inclusive).
    pub max_id: Option<i64>,
    /// Matched against the current file name.
    pub file_name: Vec<String>,
    /// Matched against the current directory (no file name).
    pub file_path: Vec<String>,
    /// Matched against the MIME type.
    pub mime: Vec<String>,
    /// Each group passes if some attribute named in it is present and its value contains the
    /// given bytes (empty = just present); all groups must pass.
    pub cattrs: Vec<Vec<(String, Vec<u8>)>>,
    /// Smallest plaintext size (inclusive).
    pub min_size: Option<u64>,
    /// Largest plaintext size (inclusive).
    pub max_size: Option<u64>,
    /// Earliest upload time, Unix seconds (inclusive).
    pub min_time: Option<i64>,
    /// Latest upload time, Unix seconds (inclusive).
    pub max_time: Option<i64>,
    /// Matched against base64url(FileSalt).
    pub file_salt: Vec<String>,
    /// Version bytes (always 1 for TGBOX v1 files).
    pub verbyte: Vec<u8>,
    /// Minor versions (−1 for files older than v1.3).
    pub minor_version: Vec<i64>,
    /// `Some(true)`: only imported files; `Some(false)`: only the box's own.
    pub imported: Option<bool>,
    /// Text fields are regular expressions.
    pub regex: bool,
}

/// A search filter: what to include and what to exclude.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchFilter {
    /// Conditions every result meets.
    pub include: Criteria,
    /// Conditions no result meets.
    pub exclude: Criteria,
}

impl SearchFilter {
    /// Checks that the filter can run: every regular expression compiles.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field whose pattern does not compile.
    pub fn validate(&self) -> Result<()> {
        Matcher::new(self).map(|_| ())
    }
}

/// A text matcher: substring or compiled regex.
enum Text {
    Sub(String),
    Re(Regex),
}

impl Text {
    fn matches(&self, hay: &str) -> bool {
        match self {
            Text::Sub(s) => hay.contains(s.as_str()),
            Text::Re(r) => r.is_match(hay),
        }
    }
}

enum BytesMatch {
    Sub(Vec<u8>),
    Re(BytesRegex),
}

impl BytesMatch {
    fn matches(&self, hay: &[u8]) -> bool {
        match self {
            BytesMatch::Sub(s) => s.is_empty() || hay.windows(s.len()).any(|w| w == s.as_slice()),
            BytesMatch::Re(r) => r.is_match(hay),
        }
    }
}

/// [`Criteria`] with its patterns compiled.
struct Compiled {
    c: Criteria,
    file_name: Vec<Text>,
    file_path: Vec<Text>,
    mime: Vec<Text>,
    file_salt: Vec<Text>,
    cattrs: Vec<Vec<(String, BytesMatch)>>,
    scopes: Vec<Vec<String>>,
    /// Scope verdicts per directory (PartID): every file of a directory shares one.
    scope_cache: std::cell::RefCell<std::collections::HashMap<[u8; 32], bool>>,
}

fn texts(values: &[String], regex: bool, field: &str) -> Result<Vec<Text>> {
    values
        .iter()
        .map(|v| {
            if regex {
                Regex::new(v)
                    .map(Text::Re)
                    .map_err(|e| Error::InvalidInput(format!("{field}: {e}")))
            } else {
                Ok(Text::Sub(v.clone()))
            }
        })
        .collect()
}

impl Compiled {
    fn new(c: &Criteria) -> Result<Compiled> {
        let cattrs = c
            .cattrs
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|(k, v)| {
                        let m = if c.regex && !v.is_empty() {
                            let pat = std::str::from_utf8(v).map_err(|_| {
                                Error::InvalidInput(format!("cattrs {k}: a pattern must be UTF-8"))
                            })?;
                            BytesMatch::Re(
                                BytesRegex::new(pat)
                                    .map_err(|e| Error::InvalidInput(format!("cattrs {k}: {e}")))?,
                            )
                        } else {
                            BytesMatch::Sub(v.clone())
                        };
                        Ok((k.clone(), m))
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Compiled {
            file_name: texts(&c.file_name, c.regex, "file_name")?,
            file_path: texts(&c.file_path, c.regex, "file_path")?,
            mime: texts(&c.mime, c.regex, "mime")?,
            file_salt: texts(&c.file_salt, c.regex, "file_salt")?,
            cattrs,
            scopes: c
                .scope
                .iter()
                .map(|s| tgbox_core::paths::split(s))
                .collect(),
            scope_cache: Default::default(),
            c: c.clone(),
        })
    }

    /// Field `i`'s verdict on `f`; `None` when the field is absent. Evaluated one field at a
    /// time so that a search stops at the first deciding field.
    fn verdict(&self, i: usize, f: &IndexedFile) -> Option<bool> {
        let c = &self.c;
        let any =
            |ms: &[Text], hay: &str| (!ms.is_empty()).then(|| ms.iter().any(|m| m.matches(hay)));
        let range = |lo: Option<i64>, hi: Option<i64>, v: i64| match (lo, hi) {
            (None, None) => None,
            (lo, hi) => Some(lo.is_none_or(|l| v >= l) && hi.is_none_or(|h| v <= h)),
        };
        match i {
            // Cheap numeric fields first.
            0 => (!c.id.is_empty()).then(|| c.id.contains(&f.id)),
            1 => range(c.min_id, c.max_id, f.id),
            2 => match (c.min_size, c.max_size) {
                (None, None) => None,
                (lo, hi) => Some(lo.is_none_or(|l| f.size >= l) && hi.is_none_or(|h| f.size <= h)),
            },
            3 => range(c.min_time, c.max_time, f.upload_time),
            4 => c.imported.map(|want| f.imported == want),
            5 => (!c.verbyte.is_empty()).then(|| c.verbyte.contains(&f.verbyte)),
            6 => (!c.minor_version.is_empty()).then(|| c.minor_version.contains(&f.minor_version)),
            7 => (!self.scopes.is_empty()).then(|| {
                *self
                    .scope_cache
                    .borrow_mut()
                    .entry(f.ppath_head)
                    .or_insert_with(|| {
                        self.scopes
                            .iter()
                            .any(|s| in_scope(&f.dir_parts, s, c.non_recursive_scope))
                    })
            }),
            8 => any(&self.file_name, &f.name),
            9 => any(&self.file_path, f.dir.as_deref().unwrap_or("")),
            10 => any(&self.mime, &f.mime),
            11 => any(&self.file_salt, &f.file_salt),
            12 => (!self.cattrs.is_empty()).then(|| {
                self.cattrs.iter().all(|group| {
                    group
                        .iter()
                        .any(|(k, m)| f.cattrs.get(k).is_some_and(|v| m.matches(v)))
                })
            }),
            _ => None,
        }
    }
}

/// Number of fields [`Compiled::verdict`] knows.
const FIELDS: usize = 13;

/// Whether a directory (as parts) lies in a scope (as parts).
fn in_scope(dir: &[String], scope: &[String], non_recursive: bool) -> bool {
    if non_recursive {
        dir == scope
    } else {
        dir.starts_with(scope)
    }
}

/// A compiled filter, ready to test files.
pub(crate) struct Matcher {
    include: Compiled,
    exclude: Compiled,
}

impl Matcher {
    /// Compiles a filter.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a regular expression that does not compile.
    pub(crate) fn new(filter: &SearchFilter) -> Result<Matcher> {
        Ok(Matcher {
            include: Compiled::new(&filter.include)?,
            exclude: Compiled::new(&filter.exclude)?,
        })
    }

    /// Whether `f` is a result.
    pub(crate) fn matches(&self, f: &IndexedFile) -> bool {
        (0..FIELDS).all(|i| self.include.verdict(i, f).unwrap_or(true))
            && !(0..FIELDS).any(|i| self.exclude.verdict(i, f).unwrap_or(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tgbox_core::Attributes;

    fn file(id: i64, name: &str, dir: &str, size: u64) -> IndexedFile {
        let mut cattrs = Attributes::default();
        cattrs.set("tag", format!("t{id}").into_bytes());
        IndexedFile {
            id,
            name: name.into(),
            dir: Some(dir.into()),
            dir_parts: tgbox_core::paths::split(dir),
            size,
            mime: if name.ends_with(".png") {
                "image/png".into()
            } else {
                String::new()
            },
            cattrs,
            upload_time: 1000 + id,
            file_salt: format!("salt{id}"),
            verbyte: 1,
            minor_version: 8,
            imported: id == 3,
            // Distinct per directory, as a PartID is.
            ppath_head: {
                let mut h = [0u8; 32];
                for (i, b) in dir.bytes().enumerate() {
                    h[i % 32] = h[i % 32].wrapping_mul(31).wrapping_add(b);
                }
                h
            },
        }
    }

    fn hits(filter: &SearchFilter, files: &[IndexedFile]) -> Vec<i64> {
        let m = Matcher::new(filter).unwrap();
        files
            .iter()
            .filter(|f| m.matches(f))
            .map(|f| f.id)
            .collect()
    }

    fn files() -> Vec<IndexedFile> {
        vec![
            file(1, "a.txt", "/home/u/docs", 10),
            file(2, "b.png", "/home/u/docs/pics", 110),
            file(3, "c.txt", "/srv", 200),
            file(4, "notes.md", "/home/u", 5),
        ]
    }

    #[test]
    fn include_is_and_across_fields_or_within() {
        let mut f = SearchFilter::default();
        f.include.file_name = vec![".txt".into(), ".md".into()];
        assert_eq!(hits(&f, &files()), [1, 3, 4]);
        f.include.file_path = vec!["/home".into()];
        assert_eq!(hits(&f, &files()), [1, 4]);
    }

    #[test]
    fn bounds_are_inclusive_and_exclude_drops_on_any_match() {
        let mut f = SearchFilter::default();
        f.include.min_size = Some(110);
        assert_eq!(hits(&f, &files()), [2, 3]);
        f.include.max_id = Some(2);
        assert_eq!(hits(&f, &files()), [2]);
        let mut f = SearchFilter::default();
        f.exclude.mime = vec!["image/".into()];
        f.exclude.min_id = Some(4);
        assert_eq!(hits(&f, &files()), [1, 3]);
    }

    #[test]
    fn scopes_recurse_unless_told_and_unknown_scopes_do_not_end_the_search() {
        let mut f = SearchFilter::default();
        f.include.scope = vec!["/home/u/docs".into()];
        assert_eq!(hits(&f, &files()), [1, 2]);
        f.include.non_recursive_scope = true;
        assert_eq!(hits(&f, &files()), [1]);
        f.include.scope = vec!["/nowhere".into(), "/srv".into()];
        assert_eq!(hits(&f, &files()), [3]);
        let mut f = SearchFilter::default();
        f.exclude.scope = vec!["/home/u/docs".into()];
        assert_eq!(hits(&f, &files()), [3, 4]);
        // A scope is a whole directory, not a prefix of a name.
        let mut f = SearchFilter::default();
        f.include.scope = vec!["/home/u/do".into()];
        assert!(hits(&f, &files()).is_empty());
    }

    #[test]
    fn regex_cattrs_imported_and_salts() {
        let mut f = SearchFilter::default();
        f.include.regex = true;
        f.include.file_name = vec![r"^[ab]\.".into()];
        assert_eq!(hits(&f, &files()), [1, 2]);
        let mut f = SearchFilter::default();
        f.include.cattrs = vec![vec![
            ("tag".into(), b"t2".to_vec()),
            ("other".into(), Vec::new()),
        ]];
        assert_eq!(hits(&f, &files()), [2]);
        f.include.cattrs = vec![vec![("tag".into(), Vec::new())]];
        assert_eq!(hits(&f, &files()).len(), 4);
        let mut f = SearchFilter::default();
        f.include.imported = Some(false);
        assert_eq!(
            hits(&f, &files()),
            [1, 2, 4],
            "imported = false means not imported"
        );
        f.include.imported = Some(true);
        assert_eq!(hits(&f, &files()), [3]);
        let mut f = SearchFilter::default();
        f.include.file_salt = vec!["salt4".into()];
        f.include.minor_version = vec![8];
        f.include.verbyte = vec![1];
        assert_eq!(hits(&f, &files()), [4]);
        let mut bad = SearchFilter::default();
        bad.include.regex = true;
        bad.include.file_name = vec!["(".into()];
        assert!(matches!(Matcher::new(&bad), Err(Error::InvalidInput(_))));
    }
}
