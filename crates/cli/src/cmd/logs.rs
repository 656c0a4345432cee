//! `authdoctor logs`: every line of every file through [`Scan`]s on every
//! core, read in a streaming way (the memory grows with the distinct
//! clients, users and routes, never with the lines), then the report in the
//! chosen format.

use crate::args::{Format, LogsArgs};
use crate::output::{BAD, BOLD, DIM, GOOD, count, styled};
use authdoctor_logs::parse::W3cFields;
use authdoctor_logs::{CountedFrom, Report, Scan};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Mutex, mpsc};

mod json_records;

/// Runs the command; 0 nothing found, 1 findings.
pub fn run(a: &LogsArgs, out: &mut dyn Write) -> Result<u8, LogsFailure> {
    if !a.trusted_proxies.is_empty() {
        authdoctor_logs::parse::trust_proxies(a.trusted_proxies.clone());
    }
    if a.follow {
        return follow(a, out);
    }
    let scan = scan_files(&a.files, a.log_format.forced())?;
    let report = scan.report();
    // A report of "nothing found" over lines that were never understood
    // would reassure falsely: that is bad input.
    if report.unparsed > 0 && !scan.read_any_request() {
        return Err(LogsFailure::NoFormat {
            lines: report.unparsed,
            example: report.unparsed_example.clone().unwrap_or_default(),
        });
    }
    let timeline = scan.timeline();
    if let Some(path) = &a.plot {
        plot(path, &timeline)?;
    }
    let show = a.output.show_secrets;
    let mut text = Vec::new();
    match a.output.format() {
        Format::Json => {
            serde_json::to_writer_pretty(&mut text, &report).map_err(std::io::Error::from)?;
            writeln!(text)?;
        }
        Format::Human => {
            human(&report, &mut text)?;
            if !timeline.is_empty() {
                let (line, per) = authdoctor_logs::chart::sparkline(&timeline, 72);
                let unit = if per == 1 {
                    "minute".to_owned()
                } else {
                    format!("{per} minutes")
                };
                writeln!(
                    text,
                    "{}",
                    styled(BOLD, &format!("401s and 403s, one mark per {unit}"))
                )?;
                writeln!(text, "  {line}")?;
            }
        }
        Format::Markdown => markdown(&report, &mut text)?,
    }
    let text = String::from_utf8_lossy(&text);
    let text = if show {
        text.into_owned()
    } else {
        authdoctor_secret::scrub(&text).into_owned()
    };
    out.write_all(text.as_bytes())?;
    // The process ends after the report: freeing the scan's maps entry by
    // entry (a tenth of a large run's wall time after its merge) would
    // only delay that.
    std::mem::forget(scan);
    Ok(if report.findings.is_empty() { 0 } else { 1 })
}

/// Writes the SVG chart.
fn plot(path: &std::path::Path, timeline: &[(i64, u64, u64)]) -> Result<(), LogsFailure> {
    let svg = authdoctor_logs::chart::svg(timeline, "401 and 403 responses per minute");
    let err = |err| LogsFailure::Plot {
        path: path.display().to_string(),
        err,
    };
    // Whole or not at all: a viewer reloading it (--follow redraws it)
    // never reads half a chart.
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    std::fs::write(&part, svg).map_err(err)?;
    std::fs::rename(&part, path).map_err(err)
}

/// How often `--follow` looks for new lines.
const POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// `--follow`: the file read to its end, then every line appended to it,
/// into one scan; after each batch of new lines, the findings that are new
/// or have grown are printed (human: one line each; JSON: one object per
/// line). A rotation (another file under the name, or the file cut
/// shorter) is followed from the new file's start. Runs until stopped.
fn follow(a: &LogsArgs, out: &mut dyn Write) -> Result<u8, LogsFailure> {
    let [path] = a.files.as_slice() else {
        return Err(LogsFailure::Usage(
            "--follow reads one file: give one".into(),
        ));
    };
    if path.as_os_str() == "-" {
        return Err(LogsFailure::Usage(
            "--follow reads a file, not standard input (a pipe is read to its end without it)"
                .into(),
        ));
    }
    let shown = path.display().to_string();
    let file_err = |err: std::io::Error| {
        LogsFailure::Input(crate::input::InputError::File {
            path: shown.clone(),
            err,
        })
    };
    let open = || -> Result<(BufReader<std::fs::File>, Option<u64>), LogsFailure> {
        let f = std::fs::File::open(path).map_err(file_err)?;
        let id = file_id(&f);
        let mut r = BufReader::with_capacity(1 << 20, f);
        let magic = r.fill_buf().map_err(file_err)?;
        if Compression::of(magic).is_some() {
            return Err(LogsFailure::Usage(format!(
                "{shown} is compressed; --follow reads the live, uncompressed log"
            )));
        }
        Ok((r, id))
    };
    let (mut r, mut id) = open()?;
    let mut pos = 0u64;
    let mut scan = Scan::reading(a.log_format.forced());
    let mut seen: std::collections::HashMap<(String, String), u64> = Default::default();
    let mut line = Vec::new();
    let json = matches!(a.output.format(), Format::Json);
    let mut next = None;
    loop {
        let mut read = 0u64;
        loop {
            let n = (&mut r)
                .take(1 << 20)
                .read_until(b'\n', &mut line)
                .map_err(file_err)?;
            if n == 0 {
                break;
            }
            if line.last() != Some(&b'\n') && n < 1 << 20 {
                // A line still being written: read again from its start.
                r.seek_relative(-(n as i64)).map_err(file_err)?;
                line.clear();
                break;
            }
            pos += n as u64;
            read += 1;
            scan.line(&String::from_utf8_lossy(&line));
            line.clear();
        }
        if read > 0 {
            for f in scan.findings() {
                let kind = serde_json::to_value(f.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let key = (kind.clone(), f.subject.clone());
                if seen.get(&key).is_some_and(|n| *n >= f.count) {
                    continue;
                }
                seen.insert(key, f.count);
                let text = if json {
                    serde_json::to_string(&f).map_err(std::io::Error::from)?
                } else {
                    let now = jiff::Timestamp::now().strftime("%H:%M:%SZ").to_string();
                    format!(
                        "{} {} {}  {}  {}",
                        styled(DIM, &now),
                        styled(BAD, "✗"),
                        styled(BOLD, &kind),
                        f.summary,
                        styled(DIM, &f.cause.map(|c| format!("[{c}]")).unwrap_or_default())
                    )
                };
                let text = if a.output.show_secrets {
                    text
                } else {
                    authdoctor_secret::scrub(&text).into_owned()
                };
                writeln!(out, "{text}")?;
            }
            out.flush()?;
            if let Some(p) = &a.plot {
                plot(p, &scan.timeline())?;
            }
        }
        // The pass above read the old file to its end: now the new one.
        if let Some((nr, nid)) = next.take() {
            (r, id, pos) = (nr, nid, 0);
            continue;
        }
        std::thread::sleep(POLL);
        // Rotated (another file under the name) or cut shorter: what the
        // old file still gets (a server writes to it until it reopens) is
        // read first, then the name's new file from its start.
        let now = std::fs::metadata(path).ok();
        let rotated = now
            .as_ref()
            .is_some_and(|m| meta_id(m) != id || m.len() < pos);
        if rotated {
            next = open().ok();
        }
    }
}

#[cfg(unix)]
fn file_id(f: &std::fs::File) -> Option<u64> {
    f.metadata().ok().and_then(|m| meta_id(&m))
}

#[cfg(unix)]
fn meta_id(m: &std::fs::Metadata) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    Some(m.ino())
}

#[cfg(not(unix))]
fn file_id(_: &std::fs::File) -> Option<u64> {
    None
}

#[cfg(not(unix))]
fn meta_id(_: &std::fs::Metadata) -> Option<u64> {
    None
}

/// How a log file is compressed, by its first bytes (not its name).
#[derive(Clone, Copy)]
enum Compression {
    Gzip,
    Zstd,
}

impl Compression {
    /// A compression this command does not read, by its magic bytes: its
    /// name and the tool that undoes it.
    fn unread(magic: &[u8]) -> Option<(&'static str, &'static str)> {
        [
            (&b"\xfd7zXZ\0"[..], ("xz", "xz -dc")),
            (b"BZh", ("bzip2", "bzip2 -dc")),
            (b"\x04\x22\x4d\x18", ("lz4", "lz4 -dc")),
            (b"PK\x03\x04", ("zip", "unzip -p")),
            (b"7z\xbc\xaf\x27\x1c", ("7-Zip", "7z e -so")),
        ]
        .into_iter()
        .find_map(|(m, what)| magic.starts_with(m).then_some(what))
    }

    fn of(magic: &[u8]) -> Option<Compression> {
        if magic.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else {
            None
        }
    }
}

/// A reader that counts the bytes it reads (of the file, compressed or not).
struct Counted<R> {
    inner: R,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// How far through the input: a line on standard error, redrawn a few
/// times a second, when standard error is a terminal and the files are
/// large (never in a pipe or a log).
struct Progress {
    total: u64,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
    on: bool,
    last: std::time::Instant,
}

impl Progress {
    fn new(files: &[std::path::PathBuf]) -> Progress {
        use std::io::IsTerminal;
        let total: u64 = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        Progress {
            total,
            read: Default::default(),
            on: total >= 64 << 20 && std::io::stderr().is_terminal(),
            last: std::time::Instant::now(),
        }
    }

    fn show(&mut self) {
        if !self.on || self.last.elapsed() < std::time::Duration::from_millis(200) {
            return;
        }
        self.last = std::time::Instant::now();
        let read = self.read.load(std::sync::atomic::Ordering::Relaxed);
        eprint!(
            "\rauthdoctor logs: {} of {} MB read ({}%)",
            read >> 20,
            self.total >> 20,
            read * 100 / self.total.max(1)
        );
    }

    fn done(&self) {
        if self.on {
            eprint!("\r\x1b[2K");
        }
    }
}

/// Bytes of whole lines handed to a worker at a time.
const BLOCK: usize = 4 << 20;

/// A block's buffer: room for a block, a partial line carried over from
/// the last read, and the newline a file's last line may lack. Filled
/// once with zeros when made, then handed back and forth (workers return
/// each when done), so no read pays for clearing or mapping fresh memory.
const BUFFER: usize = BLOCK + (1 << 16);

/// Whole lines of one file, read or to be read, and the fields of the W3C
/// extended log they continue, if the file is one (its last `#Fields:`
/// directive before them, which another worker may have read).
struct Block {
    /// Its place among all the input's blocks: its first line's number
    /// follows from the lines of the blocks before it ([`PLACE_BITS`]).
    seq: usize,
    lines: Lines,
    w3c: Option<std::sync::Arc<W3cFields>>,
}

/// A block's lines.
enum Lines {
    /// Read already (standard input, a compressed file, a W3C log whose
    /// directives are followed in order): `bytes[..len]`.
    Read { bytes: Vec<u8>, len: usize },
    /// Where they lie in a plain file, for the worker to read: each worker
    /// reads its own blocks, so the copying out of the page cache is shared
    /// by every core, not done by one reading thread for all.
    At {
        file: std::sync::Arc<std::fs::File>,
        path: std::sync::Arc<str>,
        offset: u64,
        len: usize,
    },
}

/// Where a block's lines are numbered as it is scanned, before the lines
/// of the blocks ahead of it are counted: block `seq`'s from
/// `seq << PLACE_BITS` on, which keeps the blocks' order (a block holds
/// far fewer than 2^40 lines). Once every block is scanned, the line
/// numbers a scan kept are made the input's ([`Scan::renumber`]): no
/// worker waits for another to count its lines first, and no block is
/// read twice to count them.
const PLACE_BITS: u32 = 40;

/// The input's line numbers from the provisional places: `counts`, each
/// block's lines by its place among the blocks (in any order).
fn numbering(mut counts: Vec<(usize, u64)>) -> impl Fn(u64) -> u64 {
    counts.sort_unstable();
    // The lines before each block, by its place.
    let mut starts = Vec::with_capacity(counts.len());
    let mut lines = 0;
    for (seq, n) in counts {
        starts.resize(seq + 1, lines);
        starts[seq] = lines;
        lines += n;
    }
    move |place| {
        let seq = (place >> PLACE_BITS) as usize;
        let before = starts.get(seq).copied().unwrap_or(lines);
        before + (place & ((1 << PLACE_BITS) - 1))
    }
}

/// Every line of every file, in order, through one [`Scan`] per core: this
/// thread cuts the input into blocks of whole lines (reading a plain file
/// only where its blocks are cut; other input whole), each worker takes
/// the next block in turn (reading a plain file's block itself) and scans
/// it with the input's line numbers,
/// and the workers' scans are merged at the end (a merge does not depend on
/// order), so the report is the one a single pass gives. At most two blocks
/// per worker wait in the queue, so memory stays bounded by the block size,
/// not by the input.
fn scan_files(
    files: &[std::path::PathBuf],
    format: Option<authdoctor_logs::parse::Format>,
) -> Result<Scan, crate::input::InputError> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let nodes = file_nodes(files);
    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, Block)>(workers * 2);
    let job_rx = Mutex::new(job_rx);
    // Buffers the workers are done with, back to the reader.
    let (spare_tx, spare_rx) = mpsc::channel::<Vec<u8>>();
    // The first block a worker could not read.
    let failed: Mutex<Option<(usize, crate::input::InputError)>> = Mutex::new(None);
    let progress = Progress::new(files);
    let read_so_far = progress.read.clone();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (job_rx, nodes, spare_tx) = (&job_rx, &nodes, spare_tx.clone());
                let (failed, read_so_far) = (&failed, &read_so_far);
                s.spawn(move || {
                    let mut scan = Scan::reading(format);
                    // The buffer of the blocks this worker reads itself.
                    let mut own = Vec::new();
                    // The lines of each block it scanned, by the block's place.
                    let mut counts = Vec::new();
                    loop {
                        let job = match job_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => break,
                        };
                        let Ok((file, block)) = job else {
                            break;
                        };
                        let lines_before = scan.lines_read();
                        scan.at_line((block.seq as u64) << PLACE_BITS);
                        scan.from_node(nodes.get(file).cloned().flatten());
                        scan.w3c_fields(block.w3c.clone());
                        match block.lines {
                            Lines::Read { bytes, len } => {
                                scan_bytes(&mut scan, bytes.get(..len).unwrap_or_default());
                                let _ = spare_tx.send(bytes);
                            }
                            Lines::At {
                                file,
                                path,
                                offset,
                                len,
                            } => {
                                let read = read_in_pieces(&file, offset, len, &mut own, |text| {
                                    read_so_far.fetch_add(
                                        text.len() as u64,
                                        std::sync::atomic::Ordering::Relaxed,
                                    );
                                    scan_bytes(&mut scan, text);
                                });
                                if let Err(err) = read {
                                    let err = crate::input::InputError::File {
                                        path: path.to_string(),
                                        err,
                                    };
                                    let mut f = failed.lock().unwrap_or_else(|e| e.into_inner());
                                    if f.as_ref().is_none_or(|(seq, _)| *seq > block.seq) {
                                        *f = Some((block.seq, err));
                                    }
                                }
                            }
                        }
                        counts.push((block.seq, scan.lines_read() - lines_before));
                    }
                    (scan, counts)
                })
            })
            .collect();
        drop(spare_tx);
        // A send fails only once every worker is gone, and then the join
        // below says why.
        let spare = || spare_rx.try_recv().unwrap_or_else(|_| vec![0; BUFFER]);
        let read = read_blocks(files, progress, spare, |file, block| {
            let _ = job_tx.send((file, block));
        });
        drop(job_tx);
        let mut total: Option<Scan> = None;
        let mut counts = Vec::new();
        for h in handles {
            match h.join() {
                // The first scan is the total: only the others are merged.
                Ok((scan, c)) => {
                    counts.extend(c);
                    match total.as_mut() {
                        Some(t) => t.merge(scan),
                        None => total = Some(scan),
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        read?;
        let failed = failed.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some((_, err)) = failed {
            return Err(err);
        }
        let mut total = total.unwrap_or_default();
        total.renumber(&numbering(counts));
        Ok(total)
    })
}

/// Scans a block's whole lines. Valid UTF-8 as a whole (the common case):
/// lines are cut from the text without checking each.
fn scan_bytes(scan: &mut Scan, bytes: &[u8]) {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => scan.block(text),
        Err(_) => {
            for line in bytes.split_inclusive(|b| *b == b'\n') {
                match std::str::from_utf8(line) {
                    Ok(line) => scan.line(line),
                    Err(_) => scan.line(&String::from_utf8_lossy(line)),
                }
            }
        }
    }
}

/// Bytes of a plain file read at a time. A block is read and scanned a
/// piece at a time, so that what the kernel copies in is still in the
/// core's cache when it is scanned: a whole 4 MiB block is not, and was
/// copied in and then fetched again from memory.
const PIECE: usize = 256 << 10;

/// Reads block `len` bytes at `offset` of `file` (whole lines) a piece at
/// a time into `buf` (grown once, kept for the next), handing `scan` the
/// whole lines of each. The block's last line gets a newline if it lacks
/// one (a file's last line, or a piece of a line longer than a block).
fn read_in_pieces(
    file: &std::fs::File,
    offset: u64,
    len: usize,
    buf: &mut Vec<u8>,
    mut scan: impl FnMut(&[u8]),
) -> std::io::Result<()> {
    // `buf[..carry]`: the start of a line the last piece cut.
    let (mut carry, mut pos) = (0, 0);
    while pos < len {
        let n = PIECE.min(len - pos);
        if buf.len() < carry + n + 1 {
            buf.resize(carry + n + 1, 0);
        }
        read_exact_at(file, &mut buf[carry..carry + n], offset + pos as u64)?;
        pos += n;
        let filled = carry + n;
        if pos == len {
            // The block ends with a whole line.
            let end = if buf[filled - 1] == b'\n' {
                filled
            } else {
                buf[filled] = b'\n';
                filled + 1
            };
            scan(&buf[..end]);
            break;
        }
        match memchr::memrchr(b'\n', &buf[carry..filled]) {
            Some(i) => {
                let cut = carry + i + 1;
                scan(&buf[..cut]);
                buf.copy_within(cut..filled, 0);
                carry = filled - cut;
            }
            // A line longer than the piece: read on.
            None => carry = filled,
        }
    }
    Ok(())
}

fn read_exact_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset).map_err(|err| {
        if err.kind() == std::io::ErrorKind::UnexpectedEof {
            std::io::Error::other(
                "the file was cut shorter while it was read (rotated?); read it again",
            )
        } else {
            err
        }
    })
}

/// Each file's node, when the files are the same logs of several machines
/// (`node-a/access.log`, `node-b/access.log.1.gz`; or each folder's access
/// and error logs): the folder that tells them apart, for the lines that
/// name no node. Otherwise (one machine's logs, rotated or of several
/// kinds: an access log beside a reject log) none.
fn file_nodes(files: &[std::path::PathBuf]) -> Vec<Option<std::sync::Arc<str>>> {
    let key = |p: &std::path::Path| -> Option<(String, String)> {
        if p.as_os_str() == "-" {
            return None;
        }
        let mut name = p.file_name()?.to_str()?;
        for ext in [".gz", ".zst"] {
            name = name.strip_suffix(ext).unwrap_or(name);
        }
        // A rotation's suffix: access.log.3, access.log-20261126.
        if let Some((head, tail)) = name.rsplit_once(['.', '-']) {
            if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) {
                name = head;
            }
        }
        Some((name.to_owned(), p.parent()?.display().to_string()))
    };
    let keys: Vec<Option<(String, String)>> = files.iter().map(|p| key(p)).collect();
    // Folder → the logs it holds: nodes when two folders or more hold the
    // same logs (node-a/{access,error}.log, node-b/{access,error}.log).
    let mut dirs: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for (name, dir) in keys.iter().flatten() {
        dirs.entry(dir.as_str()).or_default().insert(name.as_str());
    }
    let mut sets = dirs.values();
    let first = sets.next();
    if keys.iter().any(Option::is_none) || dirs.len() < 2 || sets.any(|s| Some(s) != first) {
        return vec![None; files.len()];
    }
    keys.into_iter()
        .map(|k| k.map(|(_, dir)| std::sync::Arc::from(dir)))
        .collect()
}

/// Reads the files (`-` is standard input; gzip and zstd, by their magic
/// bytes, are decompressed) into blocks of whole lines, each in a buffer
/// from `spare` (of [`BUFFER`] bytes), and hands each to `emit` with the
/// file's index and the number of lines before it (a block holds one
/// file's lines). A line longer than a block (4 MiB) is read in pieces,
/// never whole; each piece counts as a line.
fn read_blocks(
    files: &[std::path::PathBuf],
    mut progress: Progress,
    mut spare: impl FnMut() -> Vec<u8>,
    mut emit: impl FnMut(usize, Block),
) -> Result<(), crate::input::InputError> {
    let mut seq = 0;
    let mut buf = spare();
    for (index, path) in files.iter().enumerate() {
        let shown = path.display().to_string();
        let file_err = |err: std::io::Error| crate::input::InputError::File {
            path: shown.clone(),
            err,
        };
        let raw: Box<dyn Read> = if shown == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            let file = std::fs::File::open(path).map_err(file_err)?;
            // A plain file: only where its blocks are cut is read here,
            // the blocks by the workers.
            if let Some(size) = plain_size(&file).map_err(file_err)? {
                let file = std::sync::Arc::new(file);
                let path: std::sync::Arc<str> = std::sync::Arc::from(shown.as_str());
                let mut window = Vec::new();
                let mut start = 0;
                while start < size {
                    let len = block_at(&file, start, size, &mut window).map_err(file_err)?;
                    let lines = Lines::At {
                        file: file.clone(),
                        path: path.clone(),
                        offset: start,
                        len,
                    };
                    emit(
                        index,
                        Block {
                            seq,
                            lines,
                            w3c: None,
                        },
                    );
                    seq += 1;
                    start += len as u64;
                    progress.show();
                }
                continue;
            }
            Box::new(Counted {
                inner: file,
                read: progress.read.clone(),
            })
        };
        // Compressed or not by what the bytes are, not the name: rotated
        // logs piped in, or named by a rotation scheme, read all the same.
        let mut raw = BufReader::with_capacity(1 << 16, raw);
        let magic = raw.fill_buf().map_err(file_err)?;
        if let Some((kind, tool)) = Compression::unread(magic) {
            let (path, file) = match shown.as_str() {
                "-" => ("standard input".to_owned(), "FILE".to_owned()),
                _ => (shown.clone(), shown.clone()),
            };
            let command = format!("{tool} {file} | authdoctor logs -");
            return Err(crate::input::InputError::CompressedAs {
                path,
                kind,
                command,
            });
        }
        let compression = Compression::of(magic);
        let read_err = |err: std::io::Error| match compression {
            Some(_) => crate::input::InputError::Corrupt {
                path: shown.clone(),
                err,
            },
            None => file_err(err),
        };
        let r: Box<dyn Read> = match compression {
            Some(Compression::Gzip) => Box::new(flate2::bufread::MultiGzDecoder::new(raw)),
            Some(Compression::Zstd) => {
                Box::new(zstd::stream::read::Decoder::with_buffer(raw).map_err(read_err)?)
            }
            None => Box::new(raw),
        };
        // One JSON document (an array of entries, pretty-printed objects):
        // read as JSON lines.
        let mut peek = BufReader::with_capacity(1 << 16, r);
        let document = json_records::json_document(peek.fill_buf().map_err(read_err)?);
        let mut r: Box<dyn Read> = match document {
            Some(record) => Box::new(json_records::JsonRecords::new(peek, record)),
            None => Box::new(peek),
        };
        // `buf[..len]`: read, not yet handed on (a partial line at first).
        let mut len = 0;
        // A W3C extended log starts with its directives; its `#Fields:`
        // name the columns of the lines after them, in this block or the
        // next ones.
        let mut w3c = W3cState::default();
        loop {
            // Fill the block; its whole lines go to a worker, a partial last
            // line waits for the next read.
            let mut end = false;
            while len < BLOCK {
                match r.read(&mut buf[len..BLOCK]) {
                    Ok(0) => {
                        end = true;
                        break;
                    }
                    Ok(n) => len += n,
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(read_err(err)),
                }
            }
            if end {
                break;
            }
            let cut = match memchr::memrchr(b'\n', &buf[..len]) {
                Some(i) => i + 1,
                // A line longer than a block: this piece is a line.
                None => {
                    buf[len] = b'\n';
                    len += 1;
                    len
                }
            };
            progress.show();
            let mut next = spare();
            next[..len - cut].copy_from_slice(&buf[cut..len]);
            let full = std::mem::replace(&mut buf, next);
            hand_on(index, &mut seq, (full, cut), &mut w3c, &mut emit);
            len -= cut;
        }
        // The file's last lines go alone: the next file may be another
        // node. Its last line ends here, whatever follows.
        if len > 0 {
            if buf[len - 1] != b'\n' {
                buf[len] = b'\n';
                len += 1;
            }
            let full = std::mem::replace(&mut buf, spare());
            hand_on(index, &mut seq, (full, len), &mut w3c, &mut emit);
        }
    }
    progress.done();
    Ok(())
}

/// Hands `bytes[..len]` on as block `seq` (the next is `seq + 1`), its
/// count of lines told.
fn hand_on(
    file: usize,
    seq: &mut usize,
    (bytes, len): (Vec<u8>, usize),
    w3c: &mut W3cState,
    emit: &mut impl FnMut(usize, Block),
) {
    let text = &bytes[..len];
    let fields = w3c.fields.clone();
    w3c.read(text);
    emit(
        file,
        Block {
            seq: *seq,
            lines: Lines::Read { bytes, len },
            w3c: fields,
        },
    );
    *seq += 1;
}

/// The size of a plain file that its workers can read in blocks: a regular
/// file, not compressed, not a W3C extended log (whose directives are
/// followed in order). `None` for any other, read in order by one thread.
fn plain_size(file: &std::fs::File) -> std::io::Result<Option<u64>> {
    let meta = file.metadata()?;
    if !meta.is_file() || cfg!(not(unix)) {
        return Ok(None);
    }
    let size = meta.len();
    // Enough to see a CloudWatch batch's `logEvents` on its first line.
    let mut head = [0u8; 4096];
    let n = (size as usize).min(head.len());
    read_exact_at(file, &mut head[..n], 0)?;
    let head = &head[..n];
    let plain = Compression::of(head).is_none()
        && Compression::unread(head).is_none()
        && json_records::json_document(head).is_none();
    Ok((plain && head.first() != Some(&b'#')).then_some(size))
}

/// The length of the block of `file` that starts at `start`: its whole
/// lines up to [`BLOCK`] bytes (cut after the last newline in them, found
/// by reading backwards from the block's end a window at a time), the rest
/// of the file if no more, or [`BLOCK`] bytes of a line longer than that
/// (a piece, read as a line). The same cuts as reading the file in order.
fn block_at(
    file: &std::fs::File,
    start: u64,
    size: u64,
    window: &mut Vec<u8>,
) -> std::io::Result<usize> {
    const WINDOW: u64 = 1 << 16;
    let end = start + BLOCK as u64;
    if end >= size {
        return Ok((size - start) as usize);
    }
    window.resize(WINDOW as usize, 0);
    let mut hi = end;
    while hi > start {
        let lo = hi.saturating_sub(WINDOW).max(start);
        let w = &mut window[..(hi - lo) as usize];
        read_exact_at(file, w, lo)?;
        if let Some(i) = memchr::memrchr(b'\n', w) {
            return Ok((lo + i as u64 + 1 - start) as usize);
        }
        hi = lo;
    }
    Ok(BLOCK)
}

/// Whether a file is a W3C extended log (its first line is a directive),
/// and the fields its last `#Fields:` so far names.
#[derive(Default)]
struct W3cState {
    /// `None` before the first block; then whether the file is one.
    is: Option<bool>,
    fields: Option<std::sync::Arc<W3cFields>>,
}

impl W3cState {
    /// Takes the next block's directives into account: only a W3C log's
    /// blocks are searched (the search costs other logs nothing).
    fn read(&mut self, block: &[u8]) {
        let is = *self.is.get_or_insert(block.first() == Some(&b'#'));
        if !is {
            return;
        }
        // The last one that begins a line.
        let Some(at) = memchr::memmem::rfind_iter(block, b"#Fields:")
            .find(|&at| at == 0 || block[at - 1] == b'\n')
        else {
            return;
        };
        let line = &block[at..];
        let line = &line[..memchr::memchr(b'\n', line).unwrap_or(line.len())];
        if let Some(f) = std::str::from_utf8(line)
            .ok()
            .and_then(W3cFields::directive)
        {
            self.fields = Some(std::sync::Arc::new(f));
        }
    }
}

/// Why `authdoctor logs` could not run.
#[derive(Debug, thiserror::Error)]
pub enum LogsFailure {
    /// A log could not be read.
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    /// The report could not be written.
    #[error("Writing the report failed: {0}.")]
    Output(#[from] std::io::Error),
    /// Options that do not go together.
    #[error("{0}.")]
    Usage(String),
    /// No line was in a format the command reads.
    #[error(
        "None of the {lines} non-empty lines is in a format authdoctor logs reads (authdoctor logs --help lists them under --log-format); the first begins {example:?}. Check the file, or name its format with --log-format."
    )]
    NoFormat {
        /// How many lines.
        lines: u64,
        /// The first, masked.
        example: String,
    },
    /// The chart could not be written.
    #[error(
        "The chart {path} could not be written: {err}. Check the folder exists and is writable."
    )]
    Plot {
        /// Where.
        path: String,
        /// Why.
        err: std::io::Error,
    },
}

fn human(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let window = r
        .window
        .as_ref()
        .map(|(a, b)| format!(", {a} to {b}"))
        .unwrap_or_default();
    // Refusals the servers explained: no pattern among them is still not
    // "nothing".
    let explained = r.explained();
    if r.findings.is_empty() && explained > 0 {
        writeln!(
            out,
            "{} {}",
            styled(BOLD, "•"),
            styled(
                BOLD,
                &format!(
                    "No pattern found in {}{window}; the servers refused {} and said why (below).",
                    count(r.lines, "line"),
                    count(explained, "request")
                )
            )
        )?;
    } else if r.findings.is_empty() {
        writeln!(
            out,
            "{} {}",
            styled(GOOD, "✓"),
            styled(
                GOOD,
                &format!("Nothing found in {}{window}.", count(r.lines, "line"))
            )
        )?;
    } else {
        writeln!(
            out,
            "{} {}",
            styled(BAD, "✗"),
            styled(
                BOLD,
                &format!(
                    "{} in {}{window}.",
                    count(r.findings.len() as u64, "finding"),
                    count(r.lines, "line")
                )
            )
        )?;
        for f in &r.findings {
            writeln!(out)?;
            writeln!(
                out,
                "{} {}  {}  {}",
                styled(BAD, "✗"),
                styled(
                    BOLD,
                    &serde_json::to_value(f.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                ),
                f.summary,
                styled(DIM, &f.cause.map(|c| format!("[{c}]")).unwrap_or_default())
            )?;
            if let Some((a, b)) = &f.window {
                writeln!(
                    out,
                    "  {}",
                    styled(DIM, &format!("{a} to {b}, {} requests", f.count))
                )?;
            }
            for e in f.examples.iter().take(5) {
                writeln!(out, "  • {e}")?;
            }
            writeln!(out, "  → {}", f.fix)?;
        }
    }
    writeln!(out)?;
    let statuses: Vec<String> = r
        .statuses
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    if !statuses.is_empty() {
        writeln!(out, "{}", styled(BOLD, "Statuses"))?;
        writeln!(out, "  {}", statuses.join(", "))?;
    }
    if !r.reasons.is_empty() {
        writeln!(out, "{}", styled(BOLD, "Why, in the servers' words"))?;
        for x in &r.reasons {
            writeln!(
                out,
                "  {:>8}  {}  {}",
                x.count,
                x.cause,
                styled(DIM, &format!("{}: {}", x.family, x.example))
            )?;
        }
    }
    if r.counted_from == CountedFrom::ErrorLines {
        writeln!(
            out,
            "{}",
            styled(
                DIM,
                "No access log among the input: who was refused, where and when, as the servers' error lines tell."
            )
        )?;
    }
    if !r.rejected_routes.is_empty() {
        writeln!(out, "{}", styled(BOLD, "Most rejected routes"))?;
        for (route, n) in &r.rejected_routes {
            writeln!(out, "  {n:>8}  {route}")?;
        }
    }
    if !r.rejected_clients.is_empty() {
        writeln!(out, "{}", styled(BOLD, "Most rejected clients"))?;
        for (c, n) in &r.rejected_clients {
            writeln!(out, "  {n:>8}  {c}")?;
        }
    }
    if !r.rejected_agents.is_empty() {
        writeln!(out, "{}", styled(BOLD, "Most rejected user agents"))?;
        for (a, n) in &r.rejected_agents {
            writeln!(out, "  {n:>8}  {a}")?;
        }
    }
    if r.unparsed > 0 {
        writeln!(
            out,
            "{}",
            styled(
                DIM,
                &format!(
                    "{} matched no format, e.g. {:?}",
                    count(r.unparsed, "line"),
                    r.unparsed_example.as_deref().unwrap_or("")
                )
            )
        )?;
    }
    Ok(())
}

fn markdown(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let cell = |s: &str| crate::output::md(s);
    let explained = r.explained();
    if r.findings.is_empty() && explained > 0 {
        writeln!(
            out,
            "### No pattern found in {}; the servers refused {} and said why.",
            count(r.lines, "line"),
            count(explained, "request")
        )?;
    } else if r.findings.is_empty() {
        writeln!(out, "### ✅ Nothing found in {}.", count(r.lines, "line"))?;
    } else {
        writeln!(
            out,
            "### ❌ {} in {}",
            count(r.findings.len() as u64, "finding"),
            count(r.lines, "line")
        )?;
        writeln!(out)?;
        writeln!(out, "| kind | subject | count | summary | fix |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for f in &r.findings {
            let kind = serde_json::to_value(f.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            writeln!(
                out,
                "| `{kind}` | {} | {} | {} | {} |",
                cell(&f.subject),
                f.count,
                cell(&f.summary),
                cell(&f.fix)
            )?;
        }
    }
    if !r.reasons.is_empty() {
        writeln!(out)?;
        writeln!(out, "#### Why, in the servers' words")?;
        writeln!(out)?;
        writeln!(out, "| count | cause | middleware | example |")?;
        writeln!(out, "|---|---|---|---|")?;
        for x in &r.reasons {
            writeln!(
                out,
                "| {} | `{}` | {} | {} |",
                x.count,
                x.cause,
                cell(x.family),
                cell(&x.example)
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces `read_in_pieces` hands on for block `offset..+len`.
    fn pieces(file: &std::fs::File, offset: u64, len: usize) -> std::io::Result<Vec<String>> {
        let mut got = Vec::new();
        read_in_pieces(file, offset, len, &mut Vec::new(), |p| {
            got.push(String::from_utf8(p.to_vec()).unwrap())
        })?;
        Ok(got)
    }

    #[test]
    fn a_block_past_the_end_of_a_file_cut_shorter_is_an_error_that_says_so() {
        let dir = std::env::temp_dir().join(format!("authdoctor-read-at-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("access.log");
        std::fs::write(&path, "a line\nmore").unwrap();
        let file = std::fs::File::open(&path).unwrap();
        // Whole lines as they are; a last line without its newline gets one.
        assert_eq!(pieces(&file, 0, 7).unwrap(), ["a line\n"]);
        assert_eq!(pieces(&file, 7, 4).unwrap(), ["more\n"]);
        // The block was planned when the file was longer.
        let err = pieces(&file, 7, 400).unwrap_err();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            err.to_string().contains("cut shorter while it was read"),
            "{err}"
        );
    }

    #[test]
    fn a_block_is_read_in_pieces_of_whole_lines_however_long_its_lines() {
        let dir = std::env::temp_dir().join(format!("authdoctor-pieces-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("access.log");
        // Short lines across several pieces, a line longer than two pieces,
        // and a last line without its newline.
        let mut text = String::new();
        for i in 0..(3 * PIECE / 20) {
            text.push_str(&format!("line {i:>12}\n"));
        }
        text.push_str(&"x".repeat(2 * PIECE + 10));
        text.push('\n');
        text.push_str("last");
        std::fs::write(&path, &text).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let got = pieces(&file, 0, text.len()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(got.len() >= 4, "{} pieces", got.len());
        assert!(got.iter().all(|p| p.ends_with('\n')));
        assert_eq!(got.concat(), format!("{text}\n"));
    }

    #[test]
    fn lines_numbered_at_their_blocks_places_become_the_inputs_lines() {
        // Blocks 0, 1 and 2 hold 10, 7 and 5 lines, told in any order.
        let number = numbering(vec![(2, 5), (0, 10), (1, 7)]);
        assert_eq!(number(1), 1);
        assert_eq!(number((1 << PLACE_BITS) + 1), 11);
        assert_eq!(number((2 << PLACE_BITS) + 5), 22);
    }
}
