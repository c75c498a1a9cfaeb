//! Where a detection's time goes (sampling the pyramid, the network, decoding its outputs,
//! NMS), for the benchmarks. Off unless a clock is set: then each stage adds its time to a
//! per-thread total that `take` returns and resets. The shipped extension never sets one.

use serde::Serialize;
use std::cell::Cell;

/// Milliseconds per stage since the last `take`.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct StageTimes {
    /// Area-averaging tiles of the photo into the network's input.
    pub sample_ms: f64,
    /// The network's forward pass.
    pub network_ms: f64,
    /// Turning its outputs into boxes and landmarks.
    pub decode_ms: f64,
    /// Non-maximum suppression.
    pub nms_ms: f64,
}

#[derive(Clone, Copy)]
pub(crate) enum Stage {
    Sample,
    Network,
    Decode,
    Nms,
}

thread_local! {
    static CLOCK: Cell<Option<fn() -> f64>> = const { Cell::new(None) };
    static TOTALS: Cell<StageTimes> = const { Cell::new(StageTimes { sample_ms: 0.0, network_ms: 0.0, decode_ms: 0.0, nms_ms: 0.0 }) };
}

/// Starts timing the stages with `now` (milliseconds), or stops with `None`.
pub fn set_clock(now: Option<fn() -> f64>) {
    CLOCK.with(|c| c.set(now));
}

/// The stage totals since the last call, reset to zero.
pub fn take() -> StageTimes {
    TOTALS.with(|t| t.replace(StageTimes::default()))
}

/// Runs `f`, adding its time to `stage` when a clock is set.
pub(crate) fn time<T>(stage: Stage, f: impl FnOnce() -> T) -> T {
    let Some(now) = CLOCK.with(Cell::get) else { return f() };
    let start = now();
    let out = f();
    let ms = now() - start;
    TOTALS.with(|t| {
        let mut s = t.get();
        match stage {
            Stage::Sample => s.sample_ms += ms,
            Stage::Network => s.network_ms += ms,
            Stage::Decode => s.decode_ms += ms,
            Stage::Nms => s.nms_ms += ms,
        }
        t.set(s);
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_now() -> f64 {
        thread_local!(static T: Cell<f64> = const { Cell::new(0.0) });
        T.with(|t| {
            t.set(t.get() + 1.5);
            t.get()
        })
    }

    #[test]
    fn stages_add_up_only_with_a_clock() {
        take();
        time(Stage::Network, || ());
        assert_eq!(take(), StageTimes::default(), "timed without a clock");
        set_clock(Some(fake_now));
        time(Stage::Network, || ());
        time(Stage::Network, || ());
        time(Stage::Nms, || ());
        set_clock(None);
        let t = take();
        assert_eq!((t.network_ms, t.nms_ms, t.sample_ms), (3.0, 1.5, 0.0));
        assert_eq!(take(), StageTimes::default(), "take resets");
    }
}
