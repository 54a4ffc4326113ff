//! Not crying wolf (issue 24): a bubble is ringed by the mix of grades inside it, not painted in the colour of
//! its most severe incident — at city scale nearly every bubble holds a grade-I incident somewhere, and a map of
//! red rings says nothing. The ring is divided into [`SEGMENTS`] arcs shared out by each grade's share (every
//! grade present keeps at least one arc, so one grade-I incident among a thousand is still a red arc at twelve
//! o'clock; grade I first, clockwise), and the bubble carries a red badge with its grade-I count (`layers.rs`).
//!
//! Each distinct mix is one image (`cd-mix-<I>-<II>-<III>-<IV>`, arcs per grade), drawn here in pure Rust
//! (RGBA, antialiased by 4×4 supersampling) the first time MapLibre asks for it (`styleimagemissing`) and
//! kept in its sprite atlas: at most a few hundred small images whatever the number of incidents, and a bubble
//! whose mix does not change costs nothing.

/// Arcs in a ring (30° each).
pub const SEGMENTS: u8 = 12;
/// The image's side in pixels (drawn at pixel ratio 2: 48 CSS px, a ring of radius 24).
pub const SIZE: u32 = 96;
/// The image's pixel ratio for MapLibre.
pub const PIXEL_RATIO: u32 = 2;
/// The ring's outer radius in CSS px at `icon-size` 1.
pub const RADIUS_PX: f64 = (SIZE / PIXEL_RATIO) as f64 / 2.0;
const PREFIX: &str = "cd-mix-";

/// Grade colours (I, II, III, IV) as `layers::G1` … `G4`.
const RGB: [[u8; 3]; 4] = [
    [0xff, 0x3b, 0x30],
    [0xff, 0x8c, 0x1a],
    [0xff, 0xd2, 0x1f],
    [0x3d, 0x8b, 0xff],
];

/// Arcs per grade for incidents per grade `grades` (I, II, III, IV): by largest remainder over [`SEGMENTS`],
/// every grade present holding at least one (taken from the largest share). All zero for an empty bubble.
pub fn segments(grades: [usize; 4]) -> [u8; 4] {
    let total: usize = grades.iter().sum();
    if total == 0 {
        return [0; 4];
    }
    let n = usize::from(SEGMENTS);
    let mut out = [0u8; 4];
    let mut rest = [0usize; 4];
    for g in 0..4 {
        out[g] = (grades[g] * n / total) as u8;
        rest[g] = grades[g] * n % total;
    }
    let mut left = n - out.iter().map(|&s| usize::from(s)).sum::<usize>();
    while left > 0 {
        let g = (0..4)
            .max_by_key(|&g| (rest[g], std::cmp::Reverse(g)))
            .unwrap_or(0);
        out[g] += 1;
        rest[g] = 0;
        left -= 1;
    }
    for g in 0..4 {
        if grades[g] > 0 && out[g] == 0 {
            let big = (0..4)
                .max_by_key(|&k| (out[k], std::cmp::Reverse(k)))
                .unwrap_or(0);
            out[big] -= 1;
            out[g] = 1;
        }
    }
    out
}

/// The image name of a mix of arcs.
pub fn key(seg: [u8; 4]) -> String {
    format!("{PREFIX}{}-{}-{}-{}", seg[0], seg[1], seg[2], seg[3])
}

/// The arcs of an image name made by [`key`] (None for any other name, or arcs not adding up).
pub fn parse(name: &str) -> Option<[u8; 4]> {
    let mut it = name
        .strip_prefix(PREFIX)?
        .split('-')
        .map(|p| p.parse::<u8>().ok());
    let seg = [it.next()??, it.next()??, it.next()??, it.next()??];
    (it.next().is_none() && seg.iter().map(|&s| u32::from(s)).sum::<u32>() == u32::from(SEGMENTS))
        .then_some(seg)
}

/// The grade (0 = I … 3 = IV) of the arc at `angle` (radians clockwise from twelve o'clock), or None in the gap
/// between two arcs of different grades.
fn grade_at(seg: [u8; 4], angle: f64) -> Option<usize> {
    let step = std::f64::consts::TAU / f64::from(SEGMENTS);
    let mut start = 0.0;
    let gap = 0.035; // radians of dark line between grades
    for (g, &n) in seg.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let end = start + step * f64::from(n);
        if angle >= start && angle < end {
            let whole = n == SEGMENTS;
            return (whole || (angle - start > gap / 2.0 && end - angle > gap / 2.0)).then_some(g);
        }
        start = end;
    }
    None
}

/// The ring of `seg` as RGBA pixels, [`SIZE`] × [`SIZE`]: the outer 30 % of the radius, transparent elsewhere.
pub fn rgba(seg: [u8; 4]) -> Vec<u8> {
    const SS: u32 = 4;
    let n = SIZE as f64;
    let (outer, inner) = (n / 2.0 - 1.0, n / 2.0 * 0.66);
    let mut data = Vec::with_capacity((SIZE * SIZE * 4) as usize);
    for j in 0..SIZE {
        for i in 0..SIZE {
            let mut acc = [0u32; 4];
            let mut hits = 0u32;
            for sj in 0..SS {
                for si in 0..SS {
                    let x = f64::from(i) + (f64::from(si) + 0.5) / f64::from(SS) - n / 2.0;
                    let y = f64::from(j) + (f64::from(sj) + 0.5) / f64::from(SS) - n / 2.0;
                    let r = (x * x + y * y).sqrt();
                    if r > outer || r < inner {
                        continue;
                    }
                    let angle = x.atan2(-y).rem_euclid(std::f64::consts::TAU);
                    if let Some(g) = grade_at(seg, angle) {
                        hits += 1;
                        for (a, c) in acc.iter_mut().zip(RGB[g]) {
                            *a += u32::from(c);
                        }
                    }
                }
            }
            if hits == 0 {
                data.extend_from_slice(&[0, 0, 0, 0]);
            } else {
                let alpha = 255 * hits / (SS * SS);
                data.extend_from_slice(&[
                    (acc[0] / hits) as u8,
                    (acc[1] / hits) as u8,
                    (acc[2] / hits) as u8,
                    alpha as u8,
                ]);
            }
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arcs_follow_the_shares_and_a_lone_grade_one_keeps_its_arc() {
        assert_eq!(segments([0, 0, 0, 0]), [0, 0, 0, 0]);
        assert_eq!(segments([0, 0, 0, 7]), [0, 0, 0, 12]);
        assert_eq!(segments([3, 3, 3, 3]), [3, 3, 3, 3]);
        assert_eq!(
            segments([1, 0, 0, 999]),
            [1, 0, 0, 11],
            "one grade-I among a thousand: one red arc"
        );
        assert_eq!(segments([1, 1, 1, 997]), [1, 1, 1, 9]);
        assert_eq!(segments([10, 0, 0, 10]), [6, 0, 0, 6]);
        for g in [[5, 7, 11, 2], [1, 2, 3, 4], [100, 1, 0, 0], [0, 1, 1, 1]] {
            let s = segments(g);
            assert_eq!(s.iter().map(|&x| u32::from(x)).sum::<u32>(), 12, "{g:?}");
            for k in 0..4 {
                assert_eq!(g[k] > 0, s[k] > 0, "{g:?} → {s:?}");
            }
        }
    }

    #[test]
    fn image_names_round_trip_and_others_are_not_ours() {
        let s = segments([2, 5, 9, 30]);
        assert_eq!(parse(&key(s)), Some(s));
        assert_eq!(parse("cd-diamond"), None);
        assert_eq!(parse("cd-mix-1-2-3"), None);
        assert_eq!(parse("cd-mix-1-1-1-1"), None, "arcs must add up to a ring");
        assert_eq!(parse("cd-mix-12-0-0-0-0"), None);
    }

    #[test]
    fn the_ring_is_red_at_twelve_o_clock_only_when_grade_one_is_there() {
        let px = |data: &[u8], x: u32, y: u32| {
            let o = ((y * SIZE + x) * 4) as usize;
            [data[o], data[o + 1], data[o + 2], data[o + 3]]
        };
        let mixed = rgba(segments([1, 0, 0, 99]));
        assert_eq!(mixed.len(), (SIZE * SIZE * 4) as usize);
        // just right of twelve o'clock on the ring: grade I's red; at six o'clock: grade IV's blue
        let top = px(&mixed, SIZE / 2 + 3, 4);
        assert_eq!(&top[..3], &RGB[0], "{top:?}");
        assert_eq!(top[3], 255);
        let bottom = px(&mixed, SIZE / 2, SIZE - 5);
        assert_eq!(&bottom[..3], &RGB[3]);
        // the centre is see-through (the bubble's fill and count show)
        assert_eq!(px(&mixed, SIZE / 2, SIZE / 2)[3], 0);
        let calm = rgba(segments([0, 0, 0, 5]));
        assert_eq!(&px(&calm, SIZE / 2 + 3, 4)[..3], &RGB[3], "no grade I: no red");
    }
}
