//! `-L -c`: the connection table, read from `/proc/net/ip_vs_conn`.
//!
//! The kernel prints one line per connection:
//! `PRO CLIENT CPORT VIRTUAL VPORT DEST DPORT STATE EXPIRES[ PENAME PEDATA]`,
//! IPv4 addresses as 8 hex digits, IPv6 ones in full colon form, ports as 4
//! hex digits, expiry in seconds. ipvsadm reads the file with
//! `fgets(buf, 256)` (so a longer line is split into 255-byte pieces) and
//! parses each piece with `sscanf("%s %s %hX %s %hX %s %hX %s %d %s %s")`.
//! The parse below mirrors that, including the line split.

use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use lvs::model::{Family, Protocol};

use super::addr::{addrport, Names, RawAddr};
use lvs::cnum::Scan;

/// Failures of [`write_connections`]; ipvsadm exits with status 1 on each.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    /// The file could not be opened.
    #[error("cannot open file {}", .0.display())]
    Open(PathBuf),
    /// The file is empty (not even the header line).
    #[error("unexpected input from {}", .0.display())]
    Unexpected(PathBuf),
    /// A line (or 255-byte piece of one) held only blanks: ipvsadm's `sscanf`
    /// returns EOF and ipvsadm exits with status 1 **without any message**
    /// (rows before it were already printed). Display is empty.
    #[error("")]
    SilentExit,
    /// Reading the file or writing the output failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// `fgets` buffer size used by ipvsadm.
const FGETS_BUF: usize = 256;

/// Split the file the way repeated `fgets(buf, 256, f)` calls do: pieces end
/// after a newline or after 255 bytes.
fn fgets_pieces(data: &[u8]) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let max = rest.len().min(FGETS_BUF - 1);
        let end = rest[..max]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(max, |i| i + 1);
        pieces.push(&rest[..end]);
        rest = &rest[end..];
    }
    pieces
}

/// The fields of one proc line, as far as `sscanf` got.
#[derive(Default)]
struct ConnLine<'a> {
    count: usize,
    protocol: &'a [u8],
    caddr: &'a [u8],
    cport: u16,
    vaddr: &'a [u8],
    vport: u16,
    daddr: &'a [u8],
    dport: u16,
    state: &'a [u8],
    expires: i32,
    pe_name: &'a [u8],
    pe_data: &'a [u8],
}

/// Parse a piece; `None` is sscanf's EOF (nothing but blanks).
fn scan_line(piece: &[u8]) -> Option<ConnLine<'_>> {
    // C strings end at the first NUL.
    let end = piece.iter().position(|&b| b == 0).unwrap_or(piece.len());
    let mut s = Scan::new(&piece[..end]);
    let mut l = ConnLine {
        protocol: s.word()?,
        count: 1,
        ..ConnLine::default()
    };
    macro_rules! step {
        ($field:ident, $e:expr) => {
            match $e {
                Some(v) => {
                    l.$field = v;
                    l.count += 1;
                }
                None => return Some(l),
            }
        };
    }
    step!(caddr, s.word());
    step!(cport, s.strtoul16().map(|v| v as u16));
    step!(vaddr, s.word());
    step!(vport, s.strtoul16().map(|v| v as u16));
    step!(daddr, s.word());
    step!(dport, s.strtoul16().map(|v| v as u16));
    step!(state, s.word());
    step!(expires, s.strtol10().map(|v| v as i32));
    step!(pe_name, s.word());
    step!(pe_data, s.word());
    Some(l)
}

fn parse_v6(t: &[u8]) -> Option<Ipv6Addr> {
    std::str::from_utf8(t).ok()?.parse().ok()
}

fn parse_v4(t: &[u8]) -> Option<Ipv4Addr> {
    std::str::from_utf8(t).ok()?.parse().ok()
}

/// `strtoul(t, NULL, 16)` cast to a 32-bit address.
fn strtoul_hex(t: &[u8]) -> u32 {
    Scan::new(t).strtoul16().unwrap_or(0) as u32
}

fn raw_v4(a: Ipv4Addr) -> RawAddr {
    let mut raw = [0u8; 16];
    raw[..4].copy_from_slice(&a.octets());
    raw
}

/// The three addresses of a line and their family, as ipvsadm decides:
/// IPv6 if the client parses as IPv6, IPv4 if it parses as dotted IPv4,
/// otherwise all three are hex numbers. An address that does not parse in
/// the chosen family is left uninitialised by ipvsadm; it is zero here.
fn addresses(l: &ConnLine<'_>) -> (Family, [RawAddr; 3]) {
    let temps = [l.caddr, l.vaddr, l.daddr];
    if parse_v6(l.caddr).is_some() {
        let raws = temps.map(|t| parse_v6(t).map_or([0; 16], |a| a.octets()));
        (Family::Inet6, raws)
    } else if parse_v4(l.caddr).is_some() {
        let raws = temps.map(|t| parse_v4(t).map_or([0; 16], raw_v4));
        (Family::Inet, raws)
    } else {
        let raws = temps.map(|t| raw_v4(Ipv4Addr::from(strtoul_hex(t))));
        (Family::Inet, raws)
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Print one parsed line.
fn write_row<W: Write>(
    out: &mut W,
    l: &ConnLine<'_>,
    names: Names,
    persistent_conn: bool,
) -> io::Result<()> {
    let proto = match l.protocol {
        b"TCP" => Protocol::Tcp,
        b"UDP" => Protocol::Udp,
        b"SCTP" => Protocol::Sctp,
        _ => Protocol::Other(0),
    };
    let (af, [c, v, d]) = addresses(l);
    let cname = addrport(af, &c, l.cport, proto, names);
    let vname = addrport(af, &v, l.vport, proto, names);
    let dname = addrport(af, &d, l.dport, proto, names);
    let expires = l.expires as u32;
    let expire = format!("{:02}:{:02}", (expires / 60) as i32, (expires % 60) as i32);
    let protocol = text(l.protocol);
    let state = text(l.state);
    if persistent_conn && l.count == 11 {
        writeln!(
            out,
            "{protocol:<3} {expire:<6} {state:<11} {cname:<18} {vname:<18} {dname:<16} {:<18} {}",
            text(l.pe_name),
            text(l.pe_data)
        )
    } else {
        writeln!(
            out,
            "{protocol:<3} {expire:<6} {state:<11} {cname:<18} {vname:<18} {dname}"
        )
    }
}

/// The entry lines of the table, after its header line (none at all is
/// "unexpected input").
fn table_rows<'a>(data: &'a [u8], path: &Path) -> Result<Vec<&'a [u8]>, ConnError> {
    let mut pieces = fgets_pieces(data);
    if pieces.is_empty() {
        return Err(ConnError::Unexpected(path.to_path_buf()));
    }
    pieces.remove(0);
    Ok(pieces)
}

/// `-L -c`: from the text of the connection table (`data`, read from
/// `path`, normally `/proc/net/ip_vs_conn`, named in messages), print the header and one row per entry, in
/// file order. With `persistent_conn` the header gains `pe name`/`pe_data`
/// and rows that carry PE data print them (with widths that do not match the
/// header, as ipvsadm does).
pub fn write_connections<W: Write>(
    out: &mut W,
    data: &[u8],
    path: &Path,
    names: Names,
    persistent_conn: bool,
) -> Result<(), ConnError> {
    let rows = table_rows(data, path)?;
    writeln!(out, "IPVS connection entries")?;
    // Header widths: state %-11s, source/virtual %-18s, then (with PE data)
    // destination %-18s and pe name %-16s.
    if persistent_conn {
        writeln!(
            out,
            "pro expire state       source             virtual            \
             destination        pe name          pe_data"
        )?;
    } else {
        writeln!(
            out,
            "pro expire state       source             virtual            destination"
        )?;
    }
    for piece in rows {
        let Some(line) = scan_line(piece) else {
            return Err(ConnError::SilentExit);
        };
        write_row(out, &line, names, persistent_conn)?;
    }
    Ok(())
}

/// One connection entry as structured data (for lvsadm's JSON output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conn {
    /// Protocol as the kernel prints it (`TCP`, `UDP`, `SCTP`...).
    pub protocol: String,
    /// Address family of the three addresses, decided as ipvsadm does.
    pub family: Family,
    /// Client address.
    pub client: RawAddr,
    /// Client port.
    pub client_port: u16,
    /// Virtual address.
    pub virtual_addr: RawAddr,
    /// Virtual port.
    pub virtual_port: u16,
    /// Real server address.
    pub dest: RawAddr,
    /// Real server port.
    pub dest_port: u16,
    /// Connection state (`ESTABLISHED`...).
    pub state: String,
    /// Seconds until the entry expires.
    pub expires: i32,
    /// Persistence engine name and data, when the line carries them.
    pub pe: Option<(String, String)>,
}

/// Parse the connection table's text (read from `path`) into `Conn`
/// entries, with the same parsing and failures as [`write_connections`].
pub fn read_connections(data: &[u8], path: &Path) -> Result<Vec<Conn>, ConnError> {
    let rows = table_rows(data, path)?;
    let mut conns = Vec::with_capacity(rows.len());
    for piece in rows {
        let Some(l) = scan_line(piece) else {
            return Err(ConnError::SilentExit);
        };
        let (af, [c, v, d]) = addresses(&l);
        conns.push(Conn {
            protocol: text(l.protocol),
            family: af,
            client: c,
            client_port: l.cport,
            virtual_addr: v,
            virtual_port: l.vport,
            dest: d,
            dest_port: l.dport,
            state: text(l.state),
            expires: l.expires,
            pe: (l.count == 11).then(|| (text(l.pe_name), text(l.pe_data))),
        });
    }
    Ok(conns)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROC: &str = "\
Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
TCP 2001:0db8:0000:0000:0000:0000:0000:0100 EC9E 2001:0db8:0000:0000:0000:0000:0000:0100 0050 2001:0db8:0001:0000:0000:0000:0000:0050 1F90 TIME_WAIT       115
TCP 2001:0db8:0000:0000:0000:0000:0000:0100 ECAC 2001:0db8:0000:0000:0000:0000:0000:0100 0050 2001:0db8:0001:0000:0000:0000:0000:0050 1F90 TIME_WAIT       115
TCP C0000264 0000 C0000264 0050 C6336432 1F90 ASSURED         355
TCP C0000264 8660 C0000264 0050 C6336432 1F90 TIME_WAIT       116
TCP 2001:0db8:0000:0000:0000:0000:0000:0100 0000 2001:0db8:0000:0000:0000:0000:0000:0100 0050 2001:0db8:0001:0000:0000:0000:0000:0050 1F90 ASSURED         595
";

    fn run(proc_text: &[u8], numeric: bool, pc: bool) -> Result<String, ConnError> {
        let mut out = Vec::new();
        let names = if numeric {
            Names::Numeric
        } else {
            Names::Resolved(super::super::Resolver {
                host: |_| None,
                service: |_, _| None,
            })
        };
        let r = write_connections(&mut out, proc_text, Path::new("ip_vs_conn"), names, pc);
        r.map(|()| String::from_utf8(out).unwrap())
    }

    #[test]
    fn numeric_listing() {
        let got = run(PROC.as_bytes(), true, false).unwrap();
        let want = "\
IPVS connection entries
pro expire state       source             virtual            destination
TCP 01:55  TIME_WAIT   [2001:db8::100]:60574 [2001:db8::100]:80 [2001:db8:1::50]:8080
TCP 01:55  TIME_WAIT   [2001:db8::100]:60588 [2001:db8::100]:80 [2001:db8:1::50]:8080
TCP 05:55  ASSURED     192.0.2.100:0      192.0.2.100:80     198.51.100.50:8080
TCP 01:56  TIME_WAIT   192.0.2.100:34400  192.0.2.100:80     198.51.100.50:8080
TCP 09:55  ASSURED     [2001:db8::100]:0  [2001:db8::100]:80 [2001:db8:1::50]:8080
";
        assert_eq!(got, want);
    }

    #[test]
    fn persistent_conn_with_pe_data() {
        let proc_text = "\
Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
UDP C0000264 13CE C0000264 13C4 C6336432 13C4 UDP             298
UDP C0000264 0000 C0000264 13C4 C6336432 13C4 NONE             58 sip abc123@example.com
";
        let got = run(proc_text.as_bytes(), true, true).unwrap();
        let want = "\
IPVS connection entries
pro expire state       source             virtual            destination        pe name          pe_data
UDP 04:58  UDP         192.0.2.100:5070   192.0.2.100:5060   198.51.100.50:5060
UDP 00:58  NONE        192.0.2.100:0      192.0.2.100:5060   198.51.100.50:5060 sip                abc123@example.com
";
        assert_eq!(got, want);
        // Without --persistent-conn the PE data is not shown.
        let got = run(proc_text.as_bytes(), true, false).unwrap();
        assert!(
            got.ends_with("NONE        192.0.2.100:0      192.0.2.100:5060   198.51.100.50:5060\n")
        );
    }

    #[test]
    fn long_expiry_and_mixed_family_dest() {
        let proc_text = "h\nSCTP C0000264 0001 C0000264 0002 2001:0db8:0000:0000:0000:0000:0000:0001 0003 ESTABLISHED  7200\n";
        let got = run(proc_text.as_bytes(), true, false).unwrap();
        // a hex-parsed "2001:..." gives 0x2001 = 0.0.32.1, as strtoul does
        assert!(got.ends_with(
            "SCTP 120:00 ESTABLISHED 192.0.2.100:1      192.0.2.100:2      0.0.32.1:3\n"
        ));
    }

    #[test]
    fn errors() {
        let e = run(b"", true, false).unwrap_err();
        assert!(e.to_string().starts_with("unexpected input from "));
        assert!(matches!(e, ConnError::Unexpected(_)));
        // Header only: header lines and no rows.
        let got = run(b"Pro FromIP\n", true, false).unwrap();
        assert_eq!(got.lines().count(), 2);
        // A blank line: silent exit after what was printed.
        let e = run(b"h\n  \n", true, false).unwrap_err();
        assert!(matches!(e, ConnError::SilentExit));
    }

    #[test]
    fn fgets_split() {
        let long = vec![b'a'; 300];
        let mut data = long.clone();
        data.push(b'\n');
        let p = fgets_pieces(&data);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].len(), 255);
        assert_eq!(p[1].len(), 46);
        let p = fgets_pieces(b"ab\ncd");
        assert_eq!(p, vec![&b"ab\n"[..], &b"cd"[..]]);
    }
}
