#![no_main]
//! `inspect` on arbitrary bytes: any input gives Ok or an error code, never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(i) = before_you_post::meta::inspect(data) {
        assert_eq!(i.has_location, !i.location_sources.is_empty());
        assert!(i.can_mask == i.mask_blocker.is_none());
    }
});
