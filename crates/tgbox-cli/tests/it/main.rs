//! Golden tests of the `tgbox` binary.

mod raw_channel;
