//! Golden tests of the `tgbox` binary.

mod backups;
mod boxes;
mod checks;
mod crash;
mod files;
mod harness;
mod raw_channel;
mod robustness;
mod sharing;
mod telegram;
