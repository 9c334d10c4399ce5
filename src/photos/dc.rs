//! The 1/8-scale decode of plain baseline JPEGs, from their DC coefficients.
//!
//! An upload decodes a 12 MP photo only to make a 320 px thumbnail and a perceptual hash, at 1/8
//! of its size (`super::decode_scaled`). At that scale the inverse DCT needs one number of each
//! 8×8 block, its DC coefficient, but the Huffman-coded data must still be walked through, code
//! by code: that walk is most of the ~45 ms libjpeg-turbo takes for a 4 MB photo (jdhuff.c's
//! decode_mcu looks up 8 bits a code, then drops the value's bits). Here a 64-bit bit buffer is
//! refilled 8 bytes at a time, a look-up table's entry gives the bits a whole coefficient takes
//! (code and value) and how far it moves in the block, so that skipping an AC coefficient is one
//! look-up and one shift, and a second table does the same for the two or so coefficients a
//! window of 13 bits holds whole: about half libjpeg's time. The few coefficients a component
//! needs are kept: libjpeg scales 4:2:0 chroma up by a 2×2 inverse DCT (jidctred.c), which reads
//! rows and columns 0, 1, 3, 5, 7 of the block.
//!
//! The picture is libjpeg-turbo's, as `jpeg::decode_scaled(bytes, 8)` gives it with the library
//! as built here (no SIMD, the JPEG 6b ABI, default parameters): the same IDCT size for each
//! component (jdmaster.c: chroma scaled up by the IDCT where the sampling allows), the same
//! integer IDCT and range limiting (jidctred.c), the box upsampling libjpeg falls back to when
//! the smallest IDCT is 1×1 (jdsample.c; jdmerge.c is not used, fancy upsampling being asked
//! for), the same YCbCr→RGB arithmetic (jdcolor.c). The tests compare both, pixel for pixel.
//!
//! Only a clean, plain file is decoded here: sequential Huffman (SOF0/SOF1), 8-bit, gray or
//! YCbCr (libjpeg's guess, jdapimin.c) with luma sampling 1 or 2 each way and chroma 1×1, one
//! interleaved scan, restart markers in sequence, the entropy-coded data filling the MCUs exactly
//! and followed by EOI. For anything else, and for whatever libjpeg would warn about (a warning
//! refuses the file in jpeg.rs), [`decode_eighth`] says `None` and the caller asks libjpeg, which
//! decides: what is accepted and what is refused does not change. The bytes are untrusted: no
//! `unsafe`, no index that can fail, every loop bounded by the input or the count of MCUs.

#![deny(unsafe_code)]

use image::RgbImage;

/// Bits looked up at once in a Huffman table; longer codes (rare) take [`Table::slow`].
const LUT_BITS: u32 = 10;
/// Bits looked up at once to skip AC coefficients, as many as they hold whole (~2 in a photo;
/// 13 bits measured a little faster than 11, 12 or 14).
const MULTI_BITS: u32 = 13;

/// Zigzag position → natural (row-major) position. The 16 extra entries are libjpeg's
/// (jutils.c): a corrupt run past the end of the block writes its last coefficient.
const NATURAL: [u8; 80] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, //
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63, //
    63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
];

/// Files of more pixels are left to libjpeg (the caller caps them well below).
const MAX_PIXELS: usize = 200_000_000;

/// The picture at 1/8 scale, ceil(w/8) × ceil(h/8), as libjpeg-turbo decodes it; `None` when
/// the file is not a plain baseline JPEG decoded cleanly to its end (the caller then asks
/// libjpeg). Never panics.
pub fn decode_eighth(bytes: &[u8]) -> Option<RgbImage> {
    let mut h = read_header(bytes)?;
    let (hmax, vmax) = (h.comps.iter().map(|c| c.h).max()?, h.comps.iter().map(|c| c.v).max()?);
    let (mcus_x, mcus_y) = (h.width.div_ceil(8 * hmax), h.height.div_ceil(8 * vmax));
    // The tables the scan uses, each built once.
    let build = |specs: &[Option<Spec>; 4], dc: bool| -> Option<Vec<Option<Table>>> {
        let used = |i| h.comps.iter().any(|c| i == if dc { c.td } else { c.ta });
        specs.iter().enumerate().map(|(i, s)| if used(i) { Table::new(s.as_ref()?, dc).map(Some) } else { Some(None) }).collect()
    };
    let (dcs, acs) = (build(&h.dc, true)?, build(&h.ac, false)?);
    let tables: Vec<(&Table, &Table)> = h.comps.iter().map(|c| Some((dcs.get(c.td)?.as_ref()?, acs.get(c.ta)?.as_ref()?))).collect::<Option<_>>()?;
    for c in &mut h.comps {
        // jdmaster.c: the IDCT size doubles while the component still needs upsampling by 2.
        c.scale = if hmax % (c.h * 2) == 0 && vmax % (c.v * 2) == 0 { 2 } else { 1 };
        c.stride = mcus_x * c.h * c.scale;
        c.samples = vec![0; c.stride * mcus_y * c.v * c.scale];
    }
    let mut bits = Bits { data: bytes.get(h.scan..)?, pos: 0, buf: 0, count: 0, stopped: false };
    let (mut todo, mut next_rst) = (h.restart, 0u8);
    for my in 0..mcus_y {
        for mx in 0..mcus_x {
            if h.restart != 0 {
                if todo == 0 {
                    bits.marker(0xD0 + next_rst)?;
                    next_rst = (next_rst + 1) & 7;
                    h.comps.iter_mut().for_each(|c| c.pred = 0);
                    todo = h.restart;
                }
                todo -= 1;
            }
            for (c, &(dc, ac)) in h.comps.iter_mut().zip(&tables) {
                for by in 0..c.v {
                    for bx in 0..c.h {
                        let (e, v) = bits.next(dc)?;
                        c.pred = c.pred.wrapping_add(extend(v, (e >> 8) & 15));
                        let (x, y) = ((mx * c.h + bx) * c.scale, (my * c.v + by) * c.scale);
                        if c.scale == 1 {
                            skip_ac(&mut bits, ac)?;
                            let sample = idct_1x1(c.pred as i16, c.quant[0]);
                            if let Some(s) = c.samples.get_mut(y * c.stride + x) {
                                *s = sample;
                            }
                        } else {
                            let mut block = [0i16; 64];
                            block[0] = c.pred as i16;
                            decode_ac(&mut bits, ac, &mut block)?;
                            for (i, v) in idct_2x2(&block, &c.quant).into_iter().enumerate() {
                                if let Some(s) = c.samples.get_mut((y + i / 2) * c.stride + x + i % 2) {
                                    *s = v;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    bits.marker(0xD9)?;
    let (w8, h8) = (h.width.div_ceil(8), h.height.div_ceil(8));
    let mut out = Vec::with_capacity(w8 * h8 * 3);
    // Box upsampling (jdsample.c's h2v1_upsample, int_upsample) halves a coordinate, or nothing
    // does; hmax and vmax are 1 or 2.
    let at = |c: &Comp, x: usize, y: usize| {
        let (x, y) = ((x * c.h * c.scale) >> (hmax >> 1), (y * c.v * c.scale) >> (vmax >> 1));
        c.samples.get(y * c.stride + x).copied().unwrap_or(0)
    };
    for y in 0..h8 {
        for x in 0..w8 {
            match h.comps.as_slice() {
                [g] => out.extend([at(g, x, y); 3]),
                [l, b, r] => out.extend(ycc_to_rgb(at(l, x, y), at(b, x, y), at(r, x, y))),
                _ => return None,
            }
        }
    }
    RgbImage::from_raw(u32::try_from(w8).ok()?, u32::try_from(h8).ok()?, out)
}

/// A component as the frame and the scan give it (sampling factors, DC and AC tables, the
/// quantization table latched at the start of the scan in natural order), then its samples
/// after the IDCT: one a block (`scale` 1, a 1×1 IDCT) or 2×2 (4:2:0 chroma); its DC prediction.
struct Comp {
    h: usize,
    v: usize,
    td: usize,
    ta: usize,
    quant: [i32; 64],
    scale: usize,
    stride: usize,
    samples: Vec<u8>,
    pred: i32,
}

/// A Huffman table as DHT defines it: the count of codes of each length and the symbols (zeros
/// after the last, as libjpeg leaves them).
#[derive(Clone)]
struct Spec {
    counts: [u8; 16],
    symbols: [u8; 256],
}

/// What the markers up to the start of scan say.
struct Header {
    width: usize,
    height: usize,
    comps: Vec<Comp>,
    dc: [Option<Spec>; 4],
    ac: [Option<Spec>; 4],
    restart: usize,
    /// Where the entropy-coded data starts.
    scan: usize,
}

/// Reads SOI and the markers up to SOS as libjpeg's jdmarker.c does, refusing what it would
/// refuse or warn about and what is not plain (see the module's documentation).
fn read_header(b: &[u8]) -> Option<Header> {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let (mut pos, mut jfif, mut adobe) = (2usize, false, None);
    let mut quant: [Option<[u16; 64]>; 4] = [None; 4];
    let (mut dc, mut ac): ([Option<Spec>; 4], [Option<Spec>; 4]) = Default::default();
    // The frame: width, height, (id, h, v, quantization table) of each component.
    let mut frame: Option<(usize, usize, Vec<(u8, usize, usize, usize)>)> = None;
    let mut restart = 0;
    loop {
        // A marker: FF, maybe more FF (fill bytes), its code; then the segment's length.
        if b.get(pos) != Some(&0xFF) {
            return None;
        }
        while b.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let code = *b.get(pos)?;
        let len = usize::from(u16::from_be_bytes([*b.get(pos + 1)?, *b.get(pos + 2)?]));
        let body = b.get(pos + 3..pos + 1 + len)?;
        pos += 1 + len;
        match code {
            0xC0 | 0xC1 if frame.is_none() => {
                let (&[8, h1, h0, w1, w0, n], rest) = body.split_first_chunk::<6>()? else { return None };
                let (width, height) = (usize::from(u16::from_be_bytes([w1, w0])), usize::from(u16::from_be_bytes([h1, h0])));
                if rest.len() != 3 * usize::from(n) || width == 0 || height == 0 || width > 65500 || height > 65500 || width * height > MAX_PIXELS {
                    return None;
                }
                frame = Some((width, height, rest.chunks_exact(3).map(|c| (c[0], usize::from(c[1] >> 4), usize::from(c[1] & 15), usize::from(c[2]))).collect()));
            }
            0xC4 => {
                let mut rest = body;
                while rest.len() > 16 {
                    let (&index, r) = rest.split_first()?;
                    let (counts, r) = r.split_first_chunk::<16>()?;
                    let n = counts.iter().map(|&c| usize::from(c)).sum::<usize>();
                    let (values, r) = r.split_at_checked(n)?;
                    let mut symbols = [0u8; 256];
                    symbols.get_mut(..n)?.copy_from_slice(values);
                    let slot = if index & 0x10 != 0 { ac.get_mut(usize::from(index - 0x10)) } else { dc.get_mut(usize::from(index)) };
                    *slot? = Some(Spec { counts: *counts, symbols });
                    rest = r;
                }
                if !rest.is_empty() {
                    return None;
                }
            }
            0xDB => {
                let mut rest = body;
                while let Some((&pq_tq, r)) = rest.split_first() {
                    let wide = pq_tq >> 4 != 0;
                    let (values, r) = r.split_at_checked(if wide { 128 } else { 64 })?;
                    let mut table = [0u16; 64];
                    for (i, &z) in NATURAL.iter().take(64).enumerate() {
                        let v = if wide { u16::from_be_bytes([*values.get(2 * i)?, *values.get(2 * i + 1)?]) } else { u16::from(*values.get(i)?) };
                        *table.get_mut(usize::from(z))? = v;
                    }
                    *quant.get_mut(usize::from(pq_tq & 15))? = Some(table);
                    rest = r;
                }
            }
            0xDD => restart = usize::from(u16::from_be_bytes(body.try_into().ok()?)),
            // APP0 "JFIF" (libjpeg warns about a major version other than 1), APP14 "Adobe".
            0xE0 if body.len() >= 14 && body.starts_with(b"JFIF\0") => {
                jfif = true;
                if body[5] != 1 {
                    return None;
                }
            }
            0xEE if body.len() >= 12 && body.starts_with(b"Adobe") => adobe = Some(body[11]),
            0xE0..=0xEF | 0xFE => {}
            0xDA => {
                let (&n, rest) = body.split_first()?;
                let (width, height, fc) = frame?;
                let (sel, tail) = rest.split_at_checked(2 * usize::from(n))?;
                // One interleaved scan of all components in frame order; Ss, Se, Ah/Al of a
                // sequential scan (libjpeg warns otherwise).
                if sel.len() != 2 * fc.len() || tail != [0, 63, 0] {
                    return None;
                }
                // libjpeg's colour space guess (jdapimin.c): YCbCr unless Adobe says otherwise
                // (transform 0 is RGB, other values are warned about) or, with neither marker,
                // the ids are 'R', 'G', 'B'.
                let ids: Vec<u8> = fc.iter().map(|c| c.0).collect();
                let ycc = jfif || adobe.map_or(ids != b"RGB", |t| t == 1);
                let sampling_ok = match fc.as_slice() {
                    [(_, h, v, _)] => (1..=2).contains(h) && (1..=2).contains(v),
                    [(_, h, v, _), (_, 1, 1, _), (_, 1, 1, _)] => ycc && (1..=2).contains(h) && (1..=2).contains(v),
                    _ => false,
                };
                if !sampling_ok {
                    return None;
                }
                let single = fc.len() == 1;
                let comps = fc
                    .iter()
                    .zip(sel.chunks_exact(2))
                    .map(|(&(id, h, v, tq), s)| {
                        let table = quant.get(tq)?.as_ref()?;
                        // A lone component's MCU is one block, whatever its sampling factors.
                        let (h, v) = if single { (1, 1) } else { (h, v) };
                        let (td, ta, quant) = (usize::from(s[1] >> 4), usize::from(s[1] & 15), table.map(i32::from));
                        (s[0] == id).then(|| Comp { h, v, td, ta, quant, scale: 1, stride: 0, samples: Vec::new(), pred: 0 })
                    })
                    .collect::<Option<Vec<_>>>()?;
                return Some(Header { width, height, comps, dc, ac, restart, scan: pos });
            }
            _ => return None,
        }
    }
}

/// A Huffman table ready to decode: the entries of the next `LUT_BITS` bits and libjpeg's
/// canonical-code limits for longer codes.
struct Table {
    lut: Box<[u32; 1 << LUT_BITS]>,
    /// AC tables: the coefficients the next `MULTI_BITS` bits hold whole, up to an end of block:
    /// their bits (bits 0–5), how far they move in the block (6–11; 63 when not even one fits),
    /// whether the last is the end of block (12).
    multi: Box<[u16; 1 << MULTI_BITS]>,
    maxcode: [i32; 17],
    valoffset: [i32; 17],
    symbols: [u8; 256],
}

/// A look-up entry: code length (bits 0–7; 0: not in the look-up), symbol (8–15: run in the high
/// nibble, value size in the low one), the bits the whole coefficient takes, code and value
/// (16–23), how far an AC coefficient moves in the block (24–31; 0: end of block).
fn entry(len: u32, symbol: u8) -> u32 {
    let (run, size) = (u32::from(symbol >> 4), u32::from(symbol & 15));
    let step = match (size, run) {
        (0, 15) => 16,
        (0, _) => 0,
        _ => run + 1,
    };
    len | u32::from(symbol) << 8 | (len + size) << 16 | step << 24
}

impl Table {
    /// jdhuff.c's jpeg_make_d_derived_tbl, refusing what it refuses: more than 256 codes, codes
    /// that do not fit their length, DC value sizes above 15.
    fn new(spec: &Spec, dc: bool) -> Option<Table> {
        // Each symbol's code length, then its code (canonical order); a 0 ends `sizes`.
        let mut sizes = [0u8; 257];
        let mut n = 0usize;
        for (len, &count) in (1u8..).zip(&spec.counts) {
            let end = n + usize::from(count);
            if end > 256 {
                return None;
            }
            sizes.get_mut(n..end)?.fill(len);
            n = end;
        }
        let mut codes = [0u32; 256];
        let (mut code, mut len, mut p) = (0u32, u32::from(sizes[0]), 0usize);
        while sizes.get(p).is_some_and(|&s| s != 0) {
            while sizes.get(p).is_some_and(|&s| u32::from(s) == len) {
                *codes.get_mut(p)? = code;
                code += 1;
                p += 1;
            }
            if code >= 1 << len {
                return None;
            }
            code <<= 1;
            len += 1;
        }
        let (mut maxcode, mut valoffset, mut p) = ([-1i32; 17], [0i32; 17], 0usize);
        for (len, &count) in (1..).zip(&spec.counts) {
            if count > 0 {
                valoffset[len] = p as i32 - *codes.get(p)? as i32;
                p += usize::from(count);
                maxcode[len] = *codes.get(p - 1)? as i32;
            }
        }
        let mut lut = Box::new([0u32; 1 << LUT_BITS]);
        for ((&len, &code), &symbol) in sizes.iter().zip(&codes).zip(&spec.symbols).take(n) {
            let len = u32::from(len);
            if len <= LUT_BITS {
                // code < 2^len, so the span lies in the table.
                let span = 1usize << (LUT_BITS - len);
                lut.iter_mut().skip((code as usize) << (LUT_BITS - len)).take(span).for_each(|e| *e = entry(len, symbol));
            }
        }
        if dc && spec.symbols.iter().take(n).any(|&s| s > 15) {
            return None;
        }
        let mut multi = Box::new([63 << 6; 1 << MULTI_BITS]);
        for (window, m) in (0u32..).zip(multi.iter_mut()).filter(|_| !dc) {
            let (mut used, mut moved) = (0, 0);
            loop {
                // The code is known when the whole coefficient lies in the window.
                let e = lut[(((window << used) & ((1 << MULTI_BITS) - 1)) >> (MULTI_BITS - LUT_BITS)) as usize];
                let (total, step) = ((e >> 16) & 0xFF, e >> 24);
                if e == 0 || used + total > MULTI_BITS || moved + step > 63 {
                    break;
                }
                used += total;
                moved += step;
                *m = (used | moved << 6 | u32::from(step == 0) << 12) as u16;
                if step == 0 {
                    break;
                }
            }
        }
        Some(Table { lut, multi, maxcode, valoffset, symbols: spec.symbols })
    }

    /// The entry of the code at the top of `buf`; `None` for no code at all (libjpeg warns).
    #[inline(always)]
    fn lookup(&self, buf: u64) -> Option<u32> {
        // The index is below 2^LUT_BITS, the table's length.
        match self.lut[(buf >> (64 - LUT_BITS)) as usize] {
            0 => self.slow(buf),
            e => Some(e),
        }
    }

    /// Codes longer than the look-up, as libjpeg's jpeg_huff_decode finds them.
    #[cold]
    fn slow(&self, buf: u64) -> Option<u32> {
        let top = (buf >> 48) as i32;
        (LUT_BITS as usize + 1..=16).find_map(|len| {
            let code = top >> (16 - len);
            (code <= self.maxcode[len]).then(|| entry(len as u32, self.symbols[((code + self.valoffset[len]) & 0xFF) as usize]))
        })
    }
}

/// The entropy-coded data as bits, the next one the most significant of `buf`. Stops at any
/// marker (or the end), after which the bits read as zeros as in libjpeg; `count` says how many
/// are real, and a coefficient needing more is a refusal (libjpeg warns of a premature end).
#[derive(Clone, Copy)]
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    buf: u64,
    count: u32,
    stopped: bool,
}

impl Bits<'_> {
    /// Tops `buf` up to 56–63 real bits unless stopped: 8 bytes without FF are ORed in at once
    /// (the bits past `count` then belong to the next byte, which a later refill ORs in at the
    /// same place, so they are never wrong), else bytes one by one in `fill`. Called before
    /// every code: no unpredictable branch.
    #[inline(always)]
    fn refill(&mut self) {
        if let Some(next) = self.data.get(self.pos..).and_then(|d| d.first_chunk::<8>()) {
            let w = u64::from_be_bytes(*next);
            if (!w).wrapping_sub(0x0101_0101_0101_0101) & w & 0x8080_8080_8080_8080 == 0 {
                // count ≤ 63; count | 56 = count + 8 × the whole bytes that fit.
                self.buf |= w >> self.count;
                self.pos += ((63 - self.count) >> 3) as usize;
                self.count |= 56;
                return;
            }
        }
        *self = self.fill();
    }

    /// The slow refill: byte stuffing (FF 00), and a stop at a marker or at the end. By value,
    /// so that the decoding loop's copy stays in registers.
    #[inline(never)]
    fn fill(mut self) -> Self {
        while !self.stopped && self.count < 56 {
            let (byte, len) = match (self.data.get(self.pos), self.data.get(self.pos + 1)) {
                (Some(0xFF), Some(0x00)) => (0xFF, 2),
                (Some(0xFF), _) | (None, _) => {
                    self.stopped = true;
                    break;
                }
                (Some(&b), _) => (b, 1),
            };
            self.buf |= u64::from(byte) << (56 - self.count);
            (self.count, self.pos) = (self.count + 8, self.pos + len);
        }
        self
    }

    /// The next code's entry and its value bits, both consumed.
    #[inline(always)]
    fn next(&mut self, t: &Table) -> Option<(u32, u32)> {
        self.refill();
        let e = t.lookup(self.buf)?;
        let (total, size) = ((e >> 16) & 0xFF, (e >> 8) & 15);
        if total > self.count {
            return None;
        }
        // 1 ≤ total ≤ 31: a code of 1 to 16 bits and at most 15 value bits.
        let value = (self.buf >> (64 - total)) as u32 & ((1 << size) - 1);
        self.buf <<= total;
        self.count -= total;
        Some((e, value))
    }

    /// At the end of a restart interval or of the scan: nothing left but the last byte's
    /// padding (whole bytes would be "extraneous data" to libjpeg), then the marker `FF m`.
    fn marker(&mut self, m: u8) -> Option<()> {
        if self.count >= 8 || !self.data.get(self.pos..)?.starts_with(&[0xFF, m]) {
            return None;
        }
        (self.pos, self.buf, self.count, self.stopped) = (self.pos + 2, 0, 0, false);
        Some(())
    }
}

/// A value of `size` bits as a signed coefficient (HUFF_EXTEND).
fn extend(v: u32, size: u32) -> i32 {
    // Without a branch: below half the range (the sign bit 0) the value is negative.
    let negative = (v as i32 - ((1 << size) >> 1)) >> 31;
    v as i32 + (negative & (1 - (1 << size)))
}

/// Skips a block's AC coefficients: one look-up and one shift for the few the next bits hold
/// whole, four such steps a refill; one coefficient at a time near the end of the block (which
/// could end before the last of them, libjpeg stopping after the 63rd coefficient), for long
/// codes and at a marker. The only branch hard to predict is the block's end.
#[inline(always)]
fn skip_ac(b: &mut Bits, ac: &Table) -> Option<()> {
    let mut k = 1;
    loop {
        b.refill();
        // Not stopped: at least 56 bits, enough for these steps of at most MULTI_BITS.
        let mut steps = if b.stopped { 0 } else { 56 / MULTI_BITS };
        while steps > 0 {
            // The index is below 2^MULTI_BITS, the table's length.
            let m = u32::from(ac.multi[(b.buf >> (64 - MULTI_BITS)) as usize]);
            let moved = (m >> 6) & 63;
            if k + moved >= 64 {
                break;
            }
            let used = m & 63;
            (b.buf, b.count, k) = (b.buf << used, b.count - used, k + moved);
            if m >> 12 != 0 {
                return Some(());
            }
            steps -= 1;
        }
        if steps == 0 && !b.stopped {
            continue;
        }
        let step = b.next(ac)?.0 >> 24;
        k += step;
        if step == 0 || k >= 64 {
            return Some(());
        }
    }
}

/// Decodes a block's AC coefficients into `block`, natural order (jdhuff.c's decode_mcu).
#[inline(always)]
fn decode_ac(bits: &mut Bits, ac: &Table, block: &mut [i16; 64]) -> Option<()> {
    let mut k = 1usize;
    while k < 64 {
        let (e, v) = bits.next(ac)?;
        let (run, size) = ((e >> 12) & 15, (e >> 8) & 15);
        if size != 0 {
            k += run as usize;
            let at = NATURAL.get(k).copied().unwrap_or(63);
            if let Some(c) = block.get_mut(usize::from(at)) {
                *c = extend(v, size) as i16;
            }
            k += 1;
        } else if run == 15 {
            k += 16;
        } else {
            break;
        }
    }
    Some(())
}

/// libjpeg's IDCT output range limit (jdmaster.c's table, indexed `x & 1023` around 128).
fn range_limit(x: i32) -> u8 {
    ((((x & 1023) ^ 512) - 512 + 128).clamp(0, 255)) as u8
}

/// jidctred.c's jpeg_idct_1x1: the DC coefficient dequantized, divided by 8.
fn idct_1x1(dc: i16, q: i32) -> u8 {
    range_limit(((i64::from(i32::from(dc) * q) + 4) >> 3) as i32)
}

/// jidctred.c's jpeg_idct_2x2 (CONST_BITS 13, PASS1_BITS 2), `int` where it computes in int and
/// 64 bits where in JLONG: rows and columns 0, 1, 3, 5, 7 of the block to 2×2 samples. (Its
/// shortcuts for zero AC terms give the same numbers.)
fn idct_2x2(block: &[i16; 64], quant: &[i32; 64]) -> [u8; 4] {
    const ODD: [(usize, i64); 4] = [(7, -5906), (5, 6967), (3, -10426), (1, 29692)];
    // i16 × u16 fits an i32, like DEQUANTIZE's int.
    let deq = |i: usize| i64::from(i32::from(block[i]) * quant[i]);
    let mut ws = [[0i32; 8]; 2];
    for col in [0, 1, 3, 5, 7] {
        let (even, odd) = (deq(col) << 15, ODD.iter().map(|&(row, f)| deq(row * 8 + col) * f).sum::<i64>());
        ws[0][col] = ((even + odd + (1 << 12)) >> 13) as i32;
        ws[1][col] = ((even - odd + (1 << 12)) >> 13) as i32;
    }
    let mut out = [0u8; 4];
    for (w, o) in ws.iter().zip(out.chunks_exact_mut(2)) {
        let (even, odd) = (i64::from(w[0]) << 15, ODD.iter().map(|&(c, f)| i64::from(w[c]) * f).sum::<i64>());
        o[0] = range_limit(((even + odd + (1 << 19)) >> 20) as i32);
        o[1] = range_limit(((even - odd + (1 << 19)) >> 20) as i32);
    }
    out
}

/// jdcolor.c's YCbCr→RGB: FIX(1.402), FIX(0.34414), FIX(0.71414), FIX(1.772) at 16 bits.
fn ycc_to_rgb(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let (y, cb, cr) = (i32::from(y), i64::from(cb) - 128, i64::from(cr) - 128);
    let r = y + ((91881 * cr + 32768) >> 16) as i32;
    let g = y + ((-22554 * cb + 32768 - 46802 * cr) >> 16) as i32;
    let b = y + ((116130 * cb + 32768) >> 16) as i32;
    [r, g, b].map(|v| v.clamp(0, 255) as u8)
}

#[cfg(test)]
mod tests;
