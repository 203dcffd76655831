//! Strict PackedAttributes unpacking; whatever unpacks must pack back to an equal container.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tgbox_core::Attributes;

fuzz_target!(|data: &[u8]| {
    if let Ok(attrs) = Attributes::unpack(data) {
        if let Ok(packed) = attrs.pack_in_order() {
            assert_eq!(Attributes::unpack(&packed).expect("re-unpack"), attrs);
        }
    }
});
