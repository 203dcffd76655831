//! Integration tests of the Telegram backend against the loopback MTProto test server.

mod conformance;
mod server;
mod faults;
mod roundtrip;
mod smoke;
