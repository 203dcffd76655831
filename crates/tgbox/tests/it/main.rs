//! Integration tests of the tgbox library: the channel conformance suite on every offline
//! backend, the local layout as a contract, crashes and concurrent writers.

mod boxes;
mod common;
mod conformance;
mod crash;
mod interop;
mod local_layout;
mod saved_index;
mod soak;
mod tamper;
