#![no_main]
//! `strip_location` on arbitrary bytes: never panics, and whatever it returns has no
//! location left by the core's own reading and is still readable if the input was.
use before_you_post::meta::{inspect, strip_location};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(out) = strip_location(data) else { return };
    match (inspect(data), inspect(&out)) {
        (_, Ok(after)) => assert!(!after.has_location, "location left: {:?}", after.location_sources),
        (Ok(_), Err(e)) => panic!("readable input became unreadable: {e}"),
        (Err(_), Err(_)) => {}
    }
});
