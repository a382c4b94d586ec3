//! Evaluation diagnostic, compiled only with the `eval-oracle` feature (never in a
//! release; `scripts/eval/oracle.sh` builds it): attributes each window's local speakers
//! with the help of the clip's reference RTTM, to measure how far the engine is from a
//! perfect tracker or a perfect speaker encoder.
//!
//! Environment (read once per process; the CLI diarizes one clip per process):
//! - `VOICEFLOW_ORACLE_RTTM`: the clip's reference RTTM; without it nothing changes.
//! - `VOICEFLOW_ORACLE_SHIFT`: seconds of leading silence added to the clip (eval phases).
//! - `VOICEFLOW_ORACLE_MODE`: `map` (default): each local speaker goes to the reference
//!   speaker it shares the most activity with in the window, the tracker is bypassed, and
//!   a local speaker with no reference speech becomes its own false-alarm speaker;
//!   `voiceprint:ALPHA`: the tracker runs as usual, but every voiceprint gets ALPHA added
//!   to a component that identifies the reference speaker who talks most in the audio it
//!   was computed from, before it is normalised (ALPHA 10: a perfect speaker encoder;
//!   smaller values: encoders between that and the real one).

use std::sync::OnceLock;

use super::stage::LocalActivity;

#[derive(Debug, PartialEq)]
enum Mode {
    Map,
    Voiceprint(f32),
}

struct Oracle {
    /// Reference turns: (start s, end s, speaker index).
    turns: Vec<(f64, f64, usize)>,
    speakers: usize,
    mode: Mode,
}

/// The process's oracle, if `VOICEFLOW_ORACLE_RTTM` is set. A set but unusable
/// configuration stops the process: a diagnostic that silently measured the plain engine
/// would report wrong figures.
fn get() -> Option<&'static Oracle> {
    static ORACLE: OnceLock<Option<Oracle>> = OnceLock::new();
    ORACLE
        .get_or_init(|| {
            let path = std::env::var("VOICEFLOW_ORACLE_RTTM").ok()?;
            let env = |key| std::env::var(key).ok();
            let loaded = std::fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|text| {
                    Oracle::parse(
                        &text,
                        env("VOICEFLOW_ORACLE_SHIFT").as_deref(),
                        env("VOICEFLOW_ORACLE_MODE").as_deref(),
                    )
                });
            match loaded {
                Ok(oracle) => Some(oracle),
                Err(e) => {
                    eprintln!("voiceflow eval-oracle: {path}: {e}");
                    std::process::exit(2);
                }
            }
        })
        .as_ref()
}

/// Perturbs the fresh voiceprints (`rows[i]` = local speaker of embedding row `i`) in
/// `voiceprint:ALPHA` mode.
pub fn mark_voiceprints(
    activity: &LocalActivity,
    rows: &[usize],
    frames: &[Vec<usize>],
    embeddings: &mut [f32],
    dim: usize,
    frame_seconds: f64,
) {
    if let Some(oracle) = get() {
        oracle.mark(activity, rows, frames, embeddings, dim, frame_seconds);
    }
}

/// The tracker's assignment, replaced by the reference's in `map` mode.
pub fn assignment(
    tracked: Vec<Option<usize>>,
    activity: &LocalActivity,
    tau: f32,
    frame_seconds: f64,
) -> Vec<Option<usize>> {
    match get() {
        Some(oracle) if oracle.mode == Mode::Map => oracle.assign(activity, tau, frame_seconds),
        _ => tracked,
    }
}

/// Public ids of the global speakers; in `map` mode a global index (a reference speaker,
/// or past them a false-alarm local speaker) is its own id.
pub fn public_ids(tracked: Vec<Option<u32>>) -> Vec<Option<u32>> {
    match get() {
        Some(oracle) if oracle.mode == Mode::Map => (0..64).map(Some).collect(),
        _ => tracked,
    }
}

/// Stream time (s) of the middle of window frame `f`.
fn frame_centre(a: &LocalActivity, f: usize, frame_seconds: f64) -> f64 {
    (a.first_frame + f as i64) as f64 * frame_seconds + frame_seconds / 2.0
}

impl Oracle {
    fn parse(rttm: &str, shift: Option<&str>, mode: Option<&str>) -> Result<Oracle, String> {
        let shift: f64 = match shift {
            None => 0.0,
            Some(s) => s.parse().map_err(|_| format!("bad shift '{s}'"))?,
        };
        let mode = match mode {
            None | Some("map") => Mode::Map,
            Some(m) => Mode::Voiceprint(
                m.strip_prefix("voiceprint:")
                    .and_then(|a| a.parse().ok())
                    .ok_or_else(|| format!("bad mode '{m}' (map or voiceprint:ALPHA)"))?,
            ),
        };
        let mut names: Vec<&str> = Vec::new();
        let mut turns = Vec::new();
        for fields in rttm
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
        {
            if fields.len() < 8 || fields[0] != "SPEAKER" {
                continue;
            }
            let number = |i: usize| {
                fields[i]
                    .parse::<f64>()
                    .map_err(|_| format!("bad number '{}'", fields[i]))
            };
            let (start, duration) = (number(3)?, number(4)?);
            let index = match names.iter().position(|n| *n == fields[7]) {
                Some(i) => i,
                None => {
                    names.push(fields[7]);
                    names.len() - 1
                }
            };
            turns.push((start + shift, start + shift + duration, index));
        }
        Ok(Oracle {
            turns,
            speakers: names.len(),
            mode,
        })
    }

    fn mark(
        &self,
        activity: &LocalActivity,
        rows: &[usize],
        frames: &[Vec<usize>],
        embeddings: &mut [f32],
        dim: usize,
        frame_seconds: f64,
    ) {
        let Mode::Voiceprint(alpha) = self.mode else {
            return;
        };
        for (row, &k) in rows.iter().enumerate() {
            // What a perfect encoder hears: the reference speaker who talks most in the
            // frames the voiceprint was computed from (another local may have that voice
            // too). Audio with no reference speech at all is marked from the other end.
            let mut heard = vec![0.0f32; self.speakers];
            for &f in &frames[k] {
                let t = frame_centre(activity, f, frame_seconds);
                for (r, h) in heard.iter_mut().enumerate() {
                    if self.speaking(t, r) {
                        *h += activity.get(f, k);
                    }
                }
            }
            let truth = (0..self.speakers)
                .filter(|&r| heard[r] > 0.0)
                .max_by(|&a, &b| heard[a].total_cmp(&heard[b]))
                .unwrap_or(dim - 1 - k);
            let e = &mut embeddings[row * dim..(row + 1) * dim];
            e[truth % dim] += alpha;
            crate::models::normalize(e);
        }
    }

    /// Activity of each local speaker summed over the frames where each reference speaker
    /// talks: `[local][reference]`.
    fn shared_activity(&self, a: &LocalActivity, frame_seconds: f64) -> Vec<Vec<f32>> {
        let mut shared = vec![vec![0.0f32; self.speakers]; a.speakers];
        for f in 0..a.frames {
            let t = frame_centre(a, f, frame_seconds);
            for r in (0..self.speakers).filter(|&r| self.speaking(t, r)) {
                for (k, row) in shared.iter_mut().enumerate() {
                    row[r] += a.get(f, k);
                }
            }
        }
        shared
    }

    fn speaking(&self, t: f64, speaker: usize) -> bool {
        self.turns
            .iter()
            .any(|&(s, e, i)| i == speaker && t >= s && t < e)
    }

    /// Reference speaker index of each active local speaker (greedy on shared activity,
    /// two locals never share one); an active local with no reference speech left gets an
    /// index of its own past the reference speakers.
    fn assign(&self, a: &LocalActivity, tau: f32, frame_seconds: f64) -> Vec<Option<usize>> {
        let shared = self.shared_activity(a, frame_seconds);
        let active: Vec<bool> = (0..a.speakers)
            .map(|k| (0..a.frames).any(|f| a.get(f, k) > tau))
            .collect();
        let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
        // Only active local speakers are attributed, as in the engine (the activity of an
        // inactive one stays out of the votes).
        for (k, row) in shared.iter().enumerate().filter(|&(k, _)| active[k]) {
            for (r, &v) in row.iter().enumerate() {
                if v > 0.0 {
                    pairs.push((v, k, r));
                }
            }
        }
        pairs.sort_by(|x, y| y.0.total_cmp(&x.0));
        let mut result = vec![None; a.speakers];
        let mut taken = vec![false; self.speakers];
        for (_, k, r) in pairs {
            if result[k].is_none() && !taken[r] {
                result[k] = Some(r);
                taken[r] = true;
            }
        }
        for (k, slot) in result.iter_mut().enumerate() {
            if slot.is_none() && active[k] {
                *slot = Some(self.speakers + k);
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RTTM: &str = "SPEAKER c 1 0.00 1.00 <NA> <NA> A <NA> <NA>\n\
                        SPEAKER c 1 0.50 1.00 <NA> <NA> B <NA> <NA>\n";

    /// Two local speakers over 10 frames of 0.2 s (from 0 s): local 0 active in 0..5,
    /// local 1 in 3..8 (0.6-1.6 s), nothing from the reference beyond 1.5 s.
    fn activity() -> LocalActivity {
        let mut values = vec![0.0; 20];
        for f in 0..5 {
            values[f * 2] = 1.0;
        }
        for f in 3..8 {
            values[f * 2 + 1] = 1.0;
        }
        LocalActivity {
            first_frame: 0,
            frames: 10,
            speakers: 2,
            values,
        }
    }

    /// The frames each local of `activity()` is active in.
    fn all_frames() -> Vec<Vec<usize>> {
        vec![(0..5).collect(), (3..8).collect()]
    }

    #[test]
    fn parses_modes_and_shift_and_refuses_bad_ones() {
        let o = Oracle::parse(RTTM, Some("0.5"), None).unwrap();
        assert_eq!(o.mode, Mode::Map);
        assert_eq!(o.speakers, 2);
        assert_eq!(o.turns[1], (1.0, 2.0, 1));
        let o = Oracle::parse(RTTM, None, Some("voiceprint:0.5")).unwrap();
        assert_eq!(o.mode, Mode::Voiceprint(0.5));
        assert!(Oracle::parse(RTTM, None, Some("voiceprint:x")).is_err());
        assert!(Oracle::parse(RTTM, Some("soon"), None).is_err());
        assert!(Oracle::parse("SPEAKER c 1 x 1 <NA> <NA> A <NA> <NA>", None, None).is_err());
    }

    #[test]
    fn maps_locals_to_the_reference_speaker_they_share_most_with() {
        let o = Oracle::parse(RTTM, None, None).unwrap();
        assert_eq!(o.assign(&activity(), 0.5, 0.2), vec![Some(0), Some(1)]);
        // Shifted by 2 s, the reference says nothing in the window: both locals are false
        // alarms with indices of their own.
        let o = Oracle::parse(RTTM, Some("2"), None).unwrap();
        assert_eq!(o.assign(&activity(), 0.5, 0.2), vec![Some(2), Some(3)]);
        // A local speaker never above tau_active is not attributed at all.
        let o = Oracle::parse(RTTM, None, None).unwrap();
        assert_eq!(o.assign(&activity(), 1.0, 0.2), vec![None, None]);
    }

    #[test]
    fn marks_voiceprints_towards_their_reference_speaker() {
        let o = Oracle::parse(RTTM, None, Some("voiceprint:10")).unwrap();
        let mut e = vec![0.5f32; 8];
        // Row 0 is local 1 (reference B, index 1), row 1 is local 0 (A, index 0).
        o.mark(&activity(), &[1, 0], &all_frames(), &mut e, 4, 0.2);
        assert!(e[1] > 0.99 && e[4] > 0.99, "{e:?}");
        let norm: f32 = e[..4].iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        // Map mode leaves voiceprints alone.
        let mut plain = vec![0.5f32; 4];
        Oracle::parse(RTTM, None, None).unwrap().mark(
            &activity(),
            &[0],
            &all_frames(),
            &mut plain,
            4,
            0.2,
        );
        assert_eq!(plain, vec![0.5; 4]);
    }

    #[test]
    fn marks_by_the_frames_the_voiceprint_came_from() {
        // Local 0 is active in frames 0-6, mostly while A talks, but its voiceprint audio
        // is frames 5-6, where only B talks: a perfect encoder hears B.
        let mut a = activity();
        a.values[5 * 2] = 1.0;
        a.values[6 * 2] = 1.0;
        let o = Oracle::parse(RTTM, None, Some("voiceprint:10")).unwrap();
        let mut e = vec![0.0f32; 4];
        o.mark(&a, &[0], &[vec![5, 6], vec![]], &mut e, 4, 0.2);
        assert!(e[1] > 0.99, "B (index 1) expected: {e:?}");
    }

    #[test]
    fn a_voice_split_over_two_locals_is_marked_twice() {
        // Both locals speak only while A does (0-0.5 s): a perfect encoder says A for both,
        // although the exclusive mapping can give A to one of them only.
        let mut a = activity();
        a.values.iter_mut().for_each(|v| *v = 0.0);
        for f in 0..2 {
            a.values[f * 2] = 1.0;
            a.values[f * 2 + 1] = 1.0;
        }
        let o = Oracle::parse(RTTM, None, Some("voiceprint:10")).unwrap();
        let mut e = vec![0.0f32; 8];
        o.mark(&a, &[0, 1], &[vec![0, 1], vec![0, 1]], &mut e, 4, 0.2);
        assert!(e[0] > 0.99 && e[4] > 0.99, "{e:?}");
        assert_eq!(o.assign(&a, 0.5, 0.2), vec![Some(0), Some(3)]);
    }
}
