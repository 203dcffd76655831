//! Box paths: the normative splitting rule of spec §7.2, path part IDs (§4.3), the file
//! fingerprint (§7.4) and the normalisation our writer applies before storing a directory.
//!
//! The reference splits paths with CPython 3.11's `pathlib` running on a POSIX host. This module
//! is that behaviour as string processing (never `std::path`, which depends on our host), so a
//! path stored by any writer, POSIX or Windows, gives the DirectoryKey the reference derives.

use crate::{
    Error, Result,
    keys::{DirectoryKey, MainKey, sha256},
};

/// The longest full path the reference stores, in UTF-8 bytes (spec §9).
pub const FILE_PATH_MAX: usize = 4096;

fn split_comps(rest: &str, sep: char) -> impl Iterator<Item = String> + '_ {
    rest.split(sep)
        .filter(|c| !c.is_empty() && *c != ".")
        .map(str::to_owned)
}

/// CPython 3.11 `ntpath.splitroot`-like split of a string that uses `\` only:
/// `(drive, root, rest)` (spec §7.2, "Windows split").
fn win_split_root(s: &str) -> (String, String, String) {
    let mut cs: Vec<char> = s.chars().collect();
    let mut prefix = String::new();
    let at = |cs: &[char], i: usize| cs.get(i).copied();
    if cs.starts_with(&['\\', '\\', '?', '\\']) {
        prefix = cs[..4].iter().collect();
        cs.drain(..4);
        if cs.starts_with(&['U', 'N', 'C', '\\']) {
            prefix.extend(&cs[..3]);
            cs.drain(..3);
            cs.insert(0, '\\');
        }
    }
    let (first, second, third) = (at(&cs, 0), at(&cs, 1), at(&cs, 2));
    if first == Some('\\') && second == Some('\\') && third != Some('\\') {
        let find = |from: usize| {
            cs.iter()
                .skip(from)
                .position(|&c| c == '\\')
                .map(|p| p + from)
        };
        if let Some(i) = find(2) {
            let i2 = find(i + 1);
            if i2 != Some(i + 1) {
                let i2 = i2.unwrap_or(cs.len());
                let rest: String = cs.get(i2 + 1..).unwrap_or_default().iter().collect();
                let drive: String = if prefix.is_empty() {
                    cs[..i2].iter().collect()
                } else {
                    prefix.clone() + &cs[1..i2].iter().collect::<String>()
                };
                return (drive, "\\".into(), rest);
            }
        }
    }
    let mut drive = String::new();
    let mut root = String::new();
    let mut first = first;
    let mut start = 0;
    if second == Some(':') && first.is_some_and(|c| c.is_ascii_alphabetic()) {
        drive = cs[..2].iter().collect();
        start = 2;
        first = third;
    }
    if first == Some('\\') {
        root = "\\".into();
        while cs.get(start) == Some(&'\\') {
            start += 1;
        }
    }
    let rest: String = cs[start..].iter().collect();
    (prefix + &drive, root, rest)
}

fn windows_parts(p: &str) -> Vec<String> {
    let (drive, root, rest) = win_split_root(&p.replace('/', "\\"));
    let mut out = Vec::new();
    if !drive.is_empty() || !root.is_empty() {
        out.push(drive + &root);
    }
    out.extend(split_comps(&rest, '\\'));
    out
}

fn posix_parts(p: &str) -> Vec<String> {
    let mut out = Vec::new();
    let stripped = p.trim_start_matches('/');
    let slashes = p.len() - stripped.len();
    if slashes > 0 {
        out.push(if slashes == 2 { "//" } else { "/" }.to_owned());
    }
    out.extend(split_comps(stripped, '/'));
    out
}

/// The Windows-type test `W(x)` of spec §7.2.
fn is_windows_type(p: &str) -> bool {
    !win_split_root(&p.replace('/', "\\")).0.is_empty()
        || (!p.contains('/') && !p.is_empty() && p != ".")
}

/// The Windows list rule of pass 2 (spec §7.2).
fn windows_parse_list(parts: &[String]) -> Vec<String> {
    let mut parsed: Vec<String> = Vec::new();
    let (mut drive, mut root) = (String::new(), String::new());
    let mut it = parts.iter().rev();
    while let Some(part) = it.next() {
        if part.is_empty() {
            continue;
        }
        let (d, r, rel) = win_split_root(&part.replace('/', "\\"));
        drive = d;
        root = r;
        let mut comps: Vec<String> = split_comps(&rel, '\\').collect();
        comps.extend(parsed);
        parsed = comps;
        if !drive.is_empty() || !root.is_empty() {
            if drive.is_empty() {
                for earlier in it.by_ref() {
                    if !earlier.is_empty() {
                        drive = win_split_root(&earlier.replace('/', "\\")).0;
                        if !drive.is_empty() {
                            break;
                        }
                    }
                }
            }
            break;
        }
    }
    let mut out = Vec::new();
    if !drive.is_empty() || !root.is_empty() {
        out.push(drive + &root);
    }
    out.extend(parsed);
    out
}

/// Splits a stored path string into parts exactly as the reference reader does (spec §7.2,
/// both passes). The result may be empty (for `""` or `"."`, which the reference cannot read).
pub fn split(path: &str) -> Vec<String> {
    let first = if is_windows_type(path) {
        windows_parts(path)
    } else {
        posix_parts(path)
    };
    let joined = match first.first().map(String::as_str) {
        Some(r @ ("/" | "//")) => format!("{r}{}", first[1..].join("/")),
        _ => first.join("/"),
    };
    if is_windows_type(&joined) {
        windows_parse_list(&first)
    } else {
        first
    }
}

/// The chain of part IDs of spec §4.3: `PartID(pi) = SHA256(MainKey ‖ SHA256(pi) ‖ PartID(pi-1))`.
pub fn part_ids(mainkey: &MainKey, parts: &[String]) -> Vec<[u8; 32]> {
    let mut out: Vec<[u8; 32]> = Vec::with_capacity(parts.len());
    for part in parts {
        let h = sha256(&[part.as_bytes()]);
        let id = match out.last() {
            Some(parent) => sha256(&[mainkey.expose_secret(), &h, parent]),
            None => sha256(&[mainkey.expose_secret(), &h]),
        };
        out.push(id);
    }
    out
}

/// The HeadPartID of a directory string: the part ID of its last part.
///
/// # Errors
/// [`Error::InvalidPath`] when the string has no parts.
pub fn head_part_id(mainkey: &MainKey, dir: &str) -> Result<[u8; 32]> {
    part_ids(mainkey, &split(dir))
        .pop()
        .ok_or_else(|| Error::InvalidPath {
            path: dir.to_owned(),
            why: "a directory needs at least one part",
        })
}

/// The DirectoryKey of a stored directory string (spec §4.3).
///
/// # Errors
/// As [`head_part_id`].
pub fn directory_key(mainkey: &MainKey, dir: &str) -> Result<DirectoryKey> {
    Ok(DirectoryKey::derive(mainkey, &head_part_id(mainkey, dir)?))
}

/// The full path string of a file in directory `dir`, as `str(PurePosixPath(dir) / name)`.
pub fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The parts of `path` joined as the reference joins them: each part followed by `/` unless
/// it is the last or is exactly `/` (spec §7.4). This is also how the reference displays a
/// directory (`C:\/Users/non` for `C:\Users\non`).
pub fn reference_join(path: &str) -> String {
    let parts = split(path);
    let mut data = String::new();
    for (i, part) in parts.iter().enumerate() {
        data.push_str(part);
        if i + 1 < parts.len() && part != "/" {
            data.push('/');
        }
    }
    data
}

/// `SHA256(data(parts) ‖ MainKey)` of spec §7.4 over the parts of the full path string.
pub fn fingerprint(mainkey: &MainKey, full_path: &str) -> [u8; 32] {
    sha256(&[
        reference_join(full_path).as_bytes(),
        mainkey.expose_secret(),
    ])
}

/// Normalises a directory the way the reference's POSIX writer stores it (spec §7.1):
/// duplicate `/` and `.` components collapse, `..` is kept, exactly two leading slashes stay.
///
/// # Errors
/// [`Error::InvalidPath`] for an empty directory or one containing NUL.
pub fn normalize_dir(dir: &str) -> Result<String> {
    let invalid = |why| Error::InvalidPath {
        path: dir.to_owned(),
        why,
    };
    if dir.contains('\0') {
        return Err(invalid("NUL is not allowed"));
    }
    let parts = posix_parts(dir);
    let out = match parts.first().map(String::as_str) {
        Some(r @ ("/" | "//")) => format!("{r}{}", parts[1..].join("/")),
        Some(_) => parts.join("/"),
        None => return Err(invalid("the directory is empty")),
    };
    if split(&out).is_empty() {
        return Err(invalid("the directory has no parts"));
    }
    Ok(out)
}

/// Checks a file name for storage: non-empty, no `/`, no NUL, not `.` or `..`.
///
/// # Errors
/// [`Error::InvalidPath`].
pub fn check_name(name: &str) -> Result<()> {
    let why = if name.is_empty() {
        "the file name is empty"
    } else if name.contains('/') {
        "the file name contains '/'"
    } else if name.contains('\0') {
        "the file name contains NUL"
    } else if name == "." || name == ".." {
        "the file name is '.' or '..'"
    } else {
        return Ok(());
    };
    Err(Error::InvalidPath {
        path: name.to_owned(),
        why,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn examples_of_the_spec() {
        assert_eq!(
            split("/home//user/./docs/"),
            s(&["/", "home", "user", "docs"])
        );
        assert_eq!(
            split("\\\\server\\share\\dir"),
            s(&["\\\\server\\share\\", "dir"])
        );
        assert_eq!(split("\\\\srv\\x"), s(&["\\\\srv\\x\\"]));
        assert_eq!(split("C:\\Users\\non"), s(&["C:\\", "Users", "non"]));
        assert_eq!(split("C:/Users/non"), s(&["C:\\", "Users", "non"]));
        assert_eq!(split("C:"), s(&["C:"]));
        assert_eq!(split("d:\\"), s(&["d:\\"]));
        assert_eq!(
            split("\\rooted\\no\\drive"),
            s(&["\\", "rooted", "no", "drive"])
        );
        assert_eq!(split("C:a:b"), s(&["a:", "b"]));
        assert_eq!(split("//srv/x"), s(&["\\\\srv\\x\\"]));
        assert_eq!(split("NO_FOLDER"), s(&["NO_FOLDER"]));
        assert!(split("").is_empty());
    }

    #[test]
    fn writer_normalisation() {
        assert_eq!(
            normalize_dir("/home//user/./docs/").unwrap(),
            "/home/user/docs"
        );
        assert_eq!(normalize_dir("/").unwrap(), "/");
        assert_eq!(normalize_dir("dir/").unwrap(), "dir");
        assert_eq!(normalize_dir("/a/../b").unwrap(), "/a/../b");
        assert!(normalize_dir("").is_err());
        assert!(normalize_dir("./.").is_err());
        assert_eq!(join("/", "a.txt"), "/a.txt");
    }

    proptest! {
        #[test]
        fn split_never_panics(p in "[a-zA-Z:/\\\\?.é ]{0,24}") {
            let _ = split(&p);
        }

        #[test]
        fn normalised_posix_dirs_are_stable(p in "(/[a-z.]{1,5}){1,5}") {
            let d = normalize_dir(&p).unwrap();
            prop_assert_eq!(normalize_dir(&d).unwrap(), d.clone());
        }
    }
}
