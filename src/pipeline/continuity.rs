//! Which local speaker of the previous window each local speaker of a new window continues.
//!
//! A multi-speaker segmentation model is trained permutation-invariantly: its local
//! speaker 0 in one window need not be the same voice as its local speaker 0 in the next,
//! half a second later. The session keeps per-local-speaker state between windows (the
//! global speaker it was last given, the speech heard since its last voiceprint), so before
//! a window is used its local speakers are reordered to continue the previous window's:
//! consecutive windows share all but one step of audio, and the pairing that maximises the
//! activity both windows give to those shared frames is the continuation (Hungarian
//! assignment). A local speaker that shares too little with its slot continues nobody, and
//! its slot's state is dropped, so a newly arrived voice never inherits the speaker of one
//! who went quiet.

use pathfinding::prelude::{kuhn_munkres, Matrix};

use super::stage::LocalActivity;

/// Integer scale of the assignment weights.
const WEIGHT_SCALE: f32 = 1e4;

/// How the local speakers of a window map onto the slots of the previous one.
#[derive(Debug, Default, PartialEq)]
pub struct Alignment {
    /// `slot[i]`: slot (previous window's local index) that local speaker `i` moves to.
    pub slot: Vec<usize>,
    /// `continues[s]`: whether the speaker now in slot `s` continues the previous
    /// window's speaker `s` (shared activity of at least `min_shared` frames).
    pub continues: Vec<bool>,
}

/// Aligns `current` to `previous` (same speaker count; `current` starts at or after
/// `previous`). `min_shared` is in frames of joint activity.
pub fn align(previous: &LocalActivity, current: &LocalActivity, min_shared: f32) -> Alignment {
    let k = current.speakers;
    let shift = current.first_frame - previous.first_frame;
    if k == 0 || previous.speakers != k || shift < 0 {
        return Alignment {
            slot: (0..k).collect(),
            continues: vec![false; k],
        };
    }
    let shared = previous
        .frames
        .saturating_sub(shift as usize)
        .min(current.frames);
    // joint[(i, s)]: activity both windows give to current speaker i and previous speaker s
    // on their shared frames.
    let mut joint = Matrix::new(k, k, 0.0f32);
    for f in 0..shared {
        let g = f + shift as usize;
        for i in 0..k {
            let a = current.get(f, i);
            if a > 0.0 {
                for s in 0..k {
                    joint[(i, s)] += a * previous.get(g, s);
                }
            }
        }
    }
    let weights = Matrix::from_fn(k, k, |(i, s)| (joint[(i, s)] * WEIGHT_SCALE) as i64);
    let (_, slot) = kuhn_munkres(&weights);
    let mut continues = vec![false; k];
    for (i, &s) in slot.iter().enumerate() {
        continues[s] = joint[(i, s)] >= min_shared;
    }
    Alignment { slot, continues }
}

/// Reorders the columns of `activity` so that local speaker `i` becomes `slot[i]`.
pub fn apply(activity: &mut LocalActivity, slot: &[usize], scratch: &mut Vec<f32>) {
    let k = activity.speakers;
    if slot.iter().enumerate().all(|(i, &s)| i == s) {
        return;
    }
    scratch.clear();
    scratch.extend_from_slice(&activity.values);
    for f in 0..activity.frames {
        for (i, &s) in slot.iter().enumerate() {
            activity.values[f * k + s] = scratch[f * k + i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(first_frame: i64, rows: &[[f32; 2]]) -> LocalActivity {
        LocalActivity::two_speakers(first_frame, rows)
    }

    #[test]
    fn swapped_local_speakers_are_put_back_in_their_slots() {
        // Previous window: A in slot 0 on frames 0..4, B in slot 1 on frames 4..8.
        let mut rows = [[0.0f32; 2]; 8];
        rows[..4].iter_mut().for_each(|r| r[0] = 0.9);
        rows[4..].iter_mut().for_each(|r| r[1] = 0.9);
        let previous = window(10, &rows);
        // The next window starts 2 frames later and the model lists B first.
        let mut next = [[0.0f32; 2]; 8];
        next[..2].iter_mut().for_each(|r| r[1] = 0.9); // A, frames 12..14
        next[2..].iter_mut().for_each(|r| r[0] = 0.9); // B, frames 14..20
        let mut current = window(12, &next);
        let a = align(&previous, &current, 1.0);
        assert_eq!(a.slot, vec![1, 0]);
        assert_eq!(a.continues, vec![true, true]);
        apply(&mut current, &a.slot, &mut Vec::new());
        assert_eq!(current.get(0, 0), 0.9); // A is back in slot 0
        assert_eq!(current.get(5, 1), 0.9); // and B in slot 1
        assert_eq!(current.get(5, 0), 0.0);
    }

    #[test]
    fn a_new_voice_continues_nobody() {
        let mut rows = [[0.0f32; 2]; 6];
        rows.iter_mut().for_each(|r| r[0] = 0.9);
        let previous = window(0, &rows);
        // Same speaker A (now in slot 1) plus a newcomer in the last frame only.
        let mut next = [[0.0f32; 2]; 6];
        next.iter_mut().for_each(|r| r[1] = 0.9);
        next[5][0] = 0.9;
        let a = align(&previous, &window(1, &next), 2.0);
        assert_eq!(a.slot, vec![1, 0]);
        assert_eq!(a.continues, vec![true, false]);
        // Unrelated windows (none shared) and mismatched shapes keep the order.
        let far = align(&previous, &window(100, &next), 2.0);
        assert_eq!(far.continues, vec![false, false]);
        let mut one = window(0, &[[0.5, 0.5]]);
        one.speakers = 1;
        one.values.truncate(1);
        assert_eq!(align(&previous, &one, 1.0).slot, vec![0]);
    }
}
