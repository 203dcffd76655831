//! Integration tests of `tgbox-core`: the reference's golden vectors, its sample box files,
//! tampering, and round trips through the public API.

mod common;
mod negative;
mod roundtrip;
mod samples;
mod sessions;
mod vectors;
