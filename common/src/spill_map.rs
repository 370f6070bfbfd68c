//! A writable shared mapping of one extent of the spill file, so a solid chunk is decoded
//! straight into the file's page cache: its 64 MiB of output never become anonymous memory of
//! the daemon, and once unmapped they are pages the kernel writes back and reclaims like any
//! file's (POSIX `mmap` with `MAP_SHARED`; Linux keeps `pread` of the same file coherent with
//! the mapping, so readers see the bytes as soon as the extent is indexed).
//!
//! Extents are placed at multiples of [`EXTENT_ALIGN`], which every page size of the systems we
//! run on divides (4 KiB, 16 KiB, 64 KiB), so each extent can be mapped at its own offset.
//! The extent's blocks are allocated (`fallocate`) before it is mapped: a store into a mapped
//! hole of a full file system would kill the daemon with `SIGBUS`, while a failed `fallocate`
//! only sends the decode to memory. Linux only; elsewhere chunks are decoded into memory.
//!
//! Before an extent is mapped its bytes are written once with `pwrite`, in [`FILL_PIECE`]
//! pieces ([`fill_extent`]): the page cache then holds them in folios of that size where the
//! file system makes large folios (ext4 since Linux 6.16, XFS), so the decoder's first write to
//! each 64 KiB maps it with one fault, where a store into a mapped hole takes one fault per
//! 4 KiB page through the file system's read path (zeroing an unwritten block) and
//! `page_mkwrite` (measured on Linux 6.18, ext4: 64 MiB written through the mapping in 54-80 ms
//! with 16,384 faults, 25-60 ms with 1,044 after the fill). The piece is kept at the kernel's
//! fault-around size: a larger folio would be mapped whole by each far-back match that maps a
//! released page again (1 MiB pieces: 1,000 scattered reads mapped all 64 MiB, against
//! 40 MiB with 64 KiB pieces or none).
//!
//! While a big chunk is decoded, [`Pages::release`] lets the system unmap the pages the decoder
//! is done with (`madvise(MADV_DONTNEED)`): on a shared file mapping this only drops the
//! process's page-table entries, the bytes stay in the file's page cache (dirty pages stay
//! dirty) and a later access maps the same bytes again, so a 64 MiB chunk need not be resident
//! in the daemon at once (Linux `madvise(2)`: "subsequent accesses of pages in the range will
//! succeed, but will result in ... repopulating the memory contents from the up-to-date
//! contents of the underlying mapped file (for shared file mappings ...)").

use std::fs::File;
use std::io;
use std::marker::PhantomData;
use std::ops::Range;

/// Alignment of extent offsets in the spill file.
pub const EXTENT_ALIGN: u64 = 64 * 1024;

/// Space reserved in the file for `len` bytes (a whole number of [`EXTENT_ALIGN`] units).
pub fn reserved_len(len: u64) -> u64 {
    len.div_ceil(EXTENT_ALIGN).saturating_mul(EXTENT_ALIGN)
}

/// Bytes written at a time by [`fill_extent`]: the kernel's default fault-around size.
pub const FILL_PIECE: usize = 64 * 1024;

/// Writes `len` bytes at `offset` of `file` in [`FILL_PIECE`] pieces, each made by
/// `piece(at, buf)` (`at`: the offset in the extent; `buf`: the piece to fill), so the extent's
/// page cache is made of folios of that size (see the module docs).
pub fn fill_extent(
    file: &File,
    offset: u64,
    len: u64,
    mut piece: impl FnMut(u64, &mut [u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut buf = vec![0u8; FILL_PIECE];
    let mut at = 0u64;
    while at < len {
        let n = usize::try_from(len - at).map_or(FILL_PIECE, |r| r.min(FILL_PIECE));
        let pos = offset
            .checked_add(at)
            .ok_or_else(|| io::Error::other("spill extent offset overflow"))?;
        piece(at, &mut buf[..n])?;
        crate::io::write_all_at(file, pos, &buf[..n])?;
        at += n as u64;
    }
    Ok(())
}

/// `len` bytes of `file` from `offset`, mapped writable and shared; unmapped on drop.
#[derive(Debug)]
pub struct MappedExtent {
    #[cfg(target_os = "linux")]
    ptr: *mut u8,
    #[cfg(target_os = "linux")]
    len: usize,
    #[cfg(target_os = "linux")]
    page: usize,
    /// Elsewhere no mapping is ever made.
    #[cfg(not(target_os = "linux"))]
    never: std::convert::Infallible,
}

// SAFETY: the mapping is owned by this value alone (no aliasing), like a Vec's buffer.
unsafe impl Send for MappedExtent {}

impl MappedExtent {
    /// Allocates and maps `len` bytes of `file` at `offset` (which must be
    /// [`EXTENT_ALIGN`]-aligned), growing the file when it ends before them (never shrinking
    /// it). `Ok(None)` where mapping is not possible or not safe: not Linux, a page size that
    /// does not divide the alignment, a zero length, blocks that cannot be allocated (a full
    /// file system, one without `fallocate`). `zero`: write the extent's bytes (zeros) with
    /// [`fill_extent`] before mapping it, for an extent about to be written through the
    /// mapping; a failed write gives `Ok(None)` too.
    #[cfg(target_os = "linux")]
    pub fn map(file: &File, offset: u64, len: u64, zero: bool) -> io::Result<Option<Self>> {
        use std::os::unix::io::AsRawFd;
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let (Ok(page), Ok(page_us), Ok(len_us), Ok(off)) = (
            u64::try_from(page),
            usize::try_from(page),
            usize::try_from(len),
            libc::off_t::try_from(offset),
        ) else {
            return Ok(None);
        };
        if len == 0 || page == 0 || !EXTENT_ALIGN.is_multiple_of(page) {
            return Ok(None);
        }
        if !offset.is_multiple_of(EXTENT_ALIGN) {
            return Err(io::Error::other(format!(
                "spill extent at {offset} is not aligned to {EXTENT_ALIGN}"
            )));
        }
        let Ok(len_off) = libc::off_t::try_from(len) else {
            return Ok(None);
        };
        // SAFETY: fallocate on our own open descriptor; no memory is passed. Mode 0 allocates
        // the range's blocks and extends the file when it ends before them.
        if unsafe { libc::fallocate(file.as_raw_fd(), 0, off, len_off) } != 0 {
            tracing::debug!(
                "spill extent at {offset}: {}; decoding into memory",
                io::Error::last_os_error()
            );
            return Ok(None);
        }
        if zero {
            if let Err(e) = fill_extent(file, offset, len, |_, buf| {
                buf.fill(0);
                Ok(())
            }) {
                tracing::debug!("spill extent at {offset}: {e}; decoding into memory");
                return Ok(None);
            }
        }
        // SAFETY: a fresh shared mapping of our own descriptor, of a range the file now
        // covers with allocated blocks; nothing else maps this extent (it is reserved for this
        // fill alone).
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len_us,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                off,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        // No readahead for this mapping: its page-cache pages are then made one page at a
        // time, so a page mapped again after a release maps its neighbours (the kernel's
        // fault-around, 64 KiB by default), not a whole large folio (hundreds of KiB on
        // kernels that use them for readahead), and a decoder's far-back matches refault
        // little. Advice only: a failure changes nothing else.
        // SAFETY: advice on the mapping just made; it changes no contents.
        unsafe {
            libc::madvise(ptr, len_us, libc::MADV_RANDOM);
        }
        Ok(Some(Self {
            ptr: ptr.cast(),
            len: len_us,
            page: page_us,
        }))
    }

    /// Mapping is done on Linux only: elsewhere the caller decodes into memory.
    #[cfg(not(target_os = "linux"))]
    pub fn map(_file: &File, _offset: u64, _len: u64, _zero: bool) -> io::Result<Option<Self>> {
        Ok(None)
    }

    /// The mapped bytes.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        #[cfg(target_os = "linux")]
        // SAFETY: `ptr` maps `len` writable bytes for as long as `self` lives, and `&mut self`
        // makes this the only reference.
        unsafe {
            std::slice::from_raw_parts_mut(self.ptr, self.len)
        }
        #[cfg(not(target_os = "linux"))]
        match self.never {}
    }

    /// The mapped bytes, and a handle that releases their pages while they are in use.
    pub fn split(&mut self) -> (&mut [u8], Pages<'_>) {
        #[cfg(target_os = "linux")]
        {
            let pages = Pages {
                ptr: self.ptr,
                len: self.len,
                page: self.page,
                _mapping: PhantomData,
            };
            // SAFETY: as in `bytes_mut`; `Pages` only ever calls `madvise(MADV_DONTNEED)` on
            // the range, which leaves its contents as they are (see `Pages::release`).
            let bytes = unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) };
            (bytes, pages)
        }
        #[cfg(not(target_os = "linux"))]
        match self.never {}
    }
}

/// Releases pages of a [`MappedExtent`] whose bytes are borrowed elsewhere (by a decoder).
#[derive(Debug)]
pub struct Pages<'a> {
    #[cfg(target_os = "linux")]
    ptr: *mut u8,
    #[cfg(target_os = "linux")]
    len: usize,
    #[cfg(target_os = "linux")]
    page: usize,
    _mapping: PhantomData<&'a mut MappedExtent>,
}

impl Pages<'_> {
    /// Unmaps the whole pages inside `range` (byte offsets in the extent) from the process,
    /// keeping their bytes in the file's page cache: the resident set shrinks, and the next
    /// access to them maps them again (a minor fault). Best effort: a failure leaves them
    /// mapped.
    pub fn release(&self, range: Range<usize>) {
        #[cfg(target_os = "linux")]
        {
            let start = range.start.div_ceil(self.page).saturating_mul(self.page);
            let end = range.end.min(self.len) / self.page * self.page;
            if start >= end {
                return;
            }
            // SAFETY: `start..end` lies inside the live shared mapping of our own spill file
            // (the borrow of the `MappedExtent` keeps it mapped). On a `MAP_SHARED` file
            // mapping `MADV_DONTNEED` drops only the page-table entries; the pages stay in the
            // page cache (dirty ones are marked dirty) and are mapped again on the next access,
            // with the same bytes. The file is ours alone and its blocks are allocated, so the
            // refault cannot fail with `SIGBUS`. So any reference into the range, also one
            // held across this call, sees its contents unchanged.
            unsafe {
                libc::madvise(self.ptr.add(start).cast(), end - start, libc::MADV_DONTNEED);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = range;
    }
}

#[cfg(target_os = "linux")]
impl Drop for MappedExtent {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `map` made; no reference to it outlives `self`.
        unsafe {
            libc::munmap(self.ptr.cast(), self.len);
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::os::unix::fs::FileExt;

    #[test]
    fn bytes_written_through_the_mapping_read_back_with_pread() {
        let dir = std::env::temp_dir().join(format!("spill-map-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("f");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .expect("file");
        let mut m = MappedExtent::map(&file, EXTENT_ALIGN, 10_000, true)
            .expect("map")
            .expect("mappable");
        m.bytes_mut().fill(7);
        drop(m);
        let mut buf = [0u8; 4];
        file.read_exact_at(&mut buf, EXTENT_ALIGN + 9_996)
            .expect("pread");
        assert_eq!(buf, [7; 4]);
        assert!(
            MappedExtent::map(&file, 100, 10, false).is_err(),
            "unaligned"
        );

        // Released pages leave the resident set and keep their bytes.
        const LEN: usize = 8 << 20;
        let mut m = MappedExtent::map(&file, 4 * EXTENT_ALIGN, LEN as u64, false)
            .expect("map")
            .expect("mappable");
        let (bytes, pages) = m.split();
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (i % 253) as u8;
        }
        let addr = bytes.as_ptr() as usize;
        assert!(
            resident_kb(addr) >= (LEN >> 10) as u64,
            "all written pages resident"
        );
        pages.release(100..LEN - 5000);
        let kb = resident_kb(addr);
        assert!(kb <= 12, "{kb} KiB still resident after the release");
        assert!(bytes.iter().enumerate().all(|(i, &b)| b == (i % 253) as u8));
        drop(m);
        let mut buf = vec![0u8; LEN];
        file.read_exact_at(&mut buf, 4 * EXTENT_ALIGN)
            .expect("pread");
        assert!(buf.iter().enumerate().all(|(i, &b)| b == (i % 253) as u8));
        assert_eq!(reserved_len(1), EXTENT_ALIGN);
        assert_eq!(reserved_len(EXTENT_ALIGN), EXTENT_ALIGN);
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Resident KiB of the mapping that starts at `addr` (`/proc/self/smaps`).
    fn resident_kb(addr: usize) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("smaps");
        let mut lines = smaps.lines();
        while let Some(line) = lines.next() {
            let start = line.split('-').next().unwrap_or("");
            if usize::from_str_radix(start, 16).ok() != Some(addr) {
                continue;
            }
            for l in lines.by_ref() {
                if let Some(v) = l.strip_prefix("Rss:") {
                    return v.trim().trim_end_matches("kB").trim().parse().expect("kB");
                }
            }
        }
        panic!("no mapping at {addr:#x}");
    }
}
