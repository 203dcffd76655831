//! Golden tests of the `tgbox` binary.

mod boxes;
mod files;
mod harness;
mod raw_channel;
mod robustness;
mod sharing;
