//! `defender-emulator`: an in-memory server of the distribution API.

fn main() {}
