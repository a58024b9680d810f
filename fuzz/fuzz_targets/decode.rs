//! Fuzz target for the file sniffer and parsers: any bytes must decode to objects or a typed
//! error, and describing any decoded object must not panic.
//!
//! Run: `cd fuzz && cargo fuzz run decode corpus/decode ../tests/corpus/good ../tests/corpus/bad`
#![no_main]

use libfuzzer_sys::fuzz_target;
use signet_codec::describe::{Options, describe};

fuzz_target!(|data: &[u8]| {
    let options = Options { now: time::OffsetDateTime::UNIX_EPOCH, password: Some("test") };
    if let Ok(decoded) = signet_codec::decode(data) {
        for object in &decoded.objects {
            let _ = describe(object, &options);
        }
    }
});
