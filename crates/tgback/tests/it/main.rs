//! Integration tests of tgback: every section of shared/vectors/tgbackx_vectors.json, and the
//! page reader against a loopback HTTP server serving the sample pages.

mod common;
mod http;
mod vectors;
