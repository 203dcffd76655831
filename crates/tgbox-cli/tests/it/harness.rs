//! A private home for each test, and the `tgbox` binary run inside it with nothing inherited
//! from the environment that could change its behaviour.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// Cheap scrypt parameters: the defaults take 1 GiB and seconds per derivation.
pub const CHEAP: [&str; 2] = ["--scrypt-n", "1024"];

/// A test's world: a temporary directory holding homes, channels and files.
pub struct World {
    pub tmp: tempfile::TempDir,
}

/// One user: a home and a phrase file.
pub struct User {
    pub home: PathBuf,
    pub phrase_file: PathBuf,
}

impl World {
    pub fn new() -> World {
        World {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// `local:` address of channel `name` in this world.
    pub fn channel(&self, name: &str) -> String {
        format!("local:{}", self.path(name).display())
    }

    /// A user with `phrase`.
    pub fn user(&self, name: &str, phrase: &str) -> User {
        let home = self.path(&format!("home-{name}"));
        let phrase_file = self.path(&format!("phrase-{name}"));
        std::fs::write(&phrase_file, format!("{phrase}\n")).unwrap();
        User { home, phrase_file }
    }

    /// Writes a file under the world and returns its path.
    pub fn file(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl User {
    /// `tgbox` in this user's home, without a phrase file.
    pub fn bare(&self) -> Command {
        Command::from_std(self.std())
    }

    /// The same as a `std::process::Command`.
    pub fn std(&self) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_tgbox"));
        c.env("TGBOX_HOME", &self.home)
            .env_remove("XDG_RUNTIME_DIR")
            .env_remove("TGBOX_PHRASE_FILE")
            .env_remove("TGBOX_BOX")
            .env_remove("RUST_LOG")
            .env_remove("TGBOX_API_ID")
            .env_remove("TGBOX_API_HASH")
            .current_dir(self.home.parent().unwrap());
        c
    }

    /// `tgbox ARGS` in this user's home, with the phrase file.
    pub fn run(&self, args: &[&str]) -> Command {
        let mut c = self.bare();
        c.arg("--phrase-file").arg(&self.phrase_file).args(args);
        c
    }

    /// Makes box `name` in `channel`.
    pub fn make_box(&self, name: &str, channel: &str) {
        self.run(&["box", "make", name, "--channel", channel])
            .args(CHEAP)
            .assert()
            .success();
    }

    /// Runs `tgbox ARGS` with the phrase file and parses stdout as JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        json_of(&mut self.run(args))
    }

    /// Runs a command that must fail with `code`, one line of error (and maybe a hint), and
    /// `needle` in it; returns stderr.
    pub fn fails(&self, cmd: &mut Command, code: i32, needle: &str) -> String {
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(code), "stderr: {err}");
        let lines: Vec<&str> = err.trim_end().lines().collect();
        assert!(
            lines.len() == 1 || (lines.len() == 2 && lines[1].starts_with("hint: ")),
            "one-line error expected: {err}"
        );
        assert!(lines[0].starts_with("error: "), "{err}");
        assert!(err.contains(needle), "expected {needle:?} in {err}");
        err
    }

    /// Runs a command that clap itself refuses (its usage text follows the error line).
    pub fn usage_fails(&self, cmd: &mut Command, needle: &str) {
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "stderr: {err}");
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains(needle), "expected {needle:?} in {err}");
    }

    /// The ids of the box's files, ascending.
    pub fn ids(&self) -> Vec<i64> {
        self.json(&["file", "list", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_i64().unwrap())
            .collect()
    }
}

/// Runs a command that must succeed and parses its stdout as JSON.
pub fn json_of(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{cmd:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Flips one bit of the document of message `id` in the local channel `chan` of `w`,
/// `from_end` bytes before its end (inside the payload, for a tampering test).
pub fn damage_document(w: &World, chan: &str, id: u32, from_end: usize) {
    let prefix = format!("{id:012}.");
    let doc = std::fs::read_dir(w.path(chan).join("messages"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&prefix)
                && p.extension().is_some_and(|e| e == "bin")
        })
        .expect("the document");
    let mut bytes = std::fs::read(&doc).unwrap();
    let at = bytes.len() - from_end;
    bytes[at] ^= 0x40;
    std::fs::write(&doc, bytes).unwrap();
}

/// Files in a directory, sorted, as (name, bytes).
pub fn dir_contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    out.sort();
    out
}
