//! Signing in (placeholder module filled below).
