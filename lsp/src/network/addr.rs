//! Address arithmetic: parsing addresses, CIDRs and ranges (through `ipnet` and `std::net`),
//! inclusive ranges of one family as integers, overlap, counting and walking.
//! Knows nothing about Kubernetes.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    V4,
    V6,
}

/// An inclusive range of addresses of one family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AddrRange {
    pub family: Family,
    pub first: u128,
    pub last: u128,
}

pub fn family(a: IpAddr) -> Family {
    match a {
        IpAddr::V4(_) => Family::V4,
        IpAddr::V6(_) => Family::V6,
    }
}

pub fn to_int(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u32::from(v) as u128,
        IpAddr::V6(v) => u128::from(v),
    }
}

pub fn from_int(f: Family, n: u128) -> IpAddr {
    match f {
        Family::V4 => IpAddr::V4(Ipv4Addr::from(n as u32)),
        Family::V6 => IpAddr::V6(Ipv6Addr::from(n)),
    }
}

impl AddrRange {
    pub fn new(first: IpAddr, last: IpAddr) -> Option<AddrRange> {
        if family(first) != family(last) || to_int(first) > to_int(last) {
            return None;
        }
        Some(AddrRange { family: family(first), first: to_int(first), last: to_int(last) })
    }
    pub fn single(a: IpAddr) -> AddrRange {
        AddrRange { family: family(a), first: to_int(a), last: to_int(a) }
    }
    pub fn of_net(n: &IpNet) -> AddrRange {
        AddrRange::new(n.network(), n.broadcast()).expect("a network's bounds are ordered")
    }
    pub fn contains(&self, a: IpAddr) -> bool {
        family(a) == self.family && (self.first..=self.last).contains(&to_int(a))
    }
    pub fn covers(&self, o: &AddrRange) -> bool {
        self.family == o.family && self.first <= o.first && o.last <= self.last
    }
    pub fn overlaps(&self, o: &AddrRange) -> bool {
        self.family == o.family && self.first <= o.last && o.first <= self.last
    }
    /// The common part of two ranges.
    pub fn intersection(&self, o: &AddrRange) -> Option<AddrRange> {
        self.overlaps(o).then(|| AddrRange {
            family: self.family,
            first: self.first.max(o.first),
            last: self.last.min(o.last),
        })
    }
    /// How many addresses (saturates at `u128::MAX` for all of IPv6).
    pub fn size(&self) -> u128 {
        (self.last - self.first).saturating_add(1)
    }
    pub fn start(&self) -> IpAddr {
        from_int(self.family, self.first)
    }
    pub fn end(&self) -> IpAddr {
        from_int(self.family, self.last)
    }
}

impl std::fmt::Display for AddrRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.start())
        } else {
            write!(f, "{}-{}", self.start(), self.end())
        }
    }
}

/// Why a text is not an address, a CIDR or a range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddrError {
    NotAnAddress(String),
    NotACidr(String),
    /// A CIDR with bits set after the prefix: `10.0.0.1/24` (`10.0.0.0/24` meant?).
    HostBits {
        text: String,
        network: IpNet,
    },
    /// `start` after `stop`, or of different families.
    BadRange(String),
}

impl std::fmt::Display for AddrError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddrError::NotAnAddress(t) => write!(f, "`{t}` is not an IP address"),
            AddrError::NotACidr(t) => write!(f, "`{t}` is not a CIDR (address/prefix length)"),
            AddrError::HostBits { text, network } => {
                write!(f, "`{text}` has host bits set after the prefix; the network is `{network}`")
            }
            AddrError::BadRange(t) => {
                write!(f, "`{t}` is not a range: its start is after its end, or they are of different families")
            }
        }
    }
}

pub fn parse_ip(text: &str) -> Result<IpAddr, AddrError> {
    IpAddr::from_str(text.trim()).map_err(|_| AddrError::NotAnAddress(text.trim().to_string()))
}

/// A CIDR; host bits after the prefix are an error, as Kubernetes APIs validate them.
pub fn parse_cidr(text: &str) -> Result<IpNet, AddrError> {
    let t = text.trim();
    let net = IpNet::from_str(t).map_err(|_| AddrError::NotACidr(t.to_string()))?;
    if net.trunc() != net {
        return Err(AddrError::HostBits { text: t.to_string(), network: net.trunc() });
    }
    Ok(net)
}

/// A MetalLB address entry: a CIDR, or `first-last`.
pub fn parse_cidr_or_range(text: &str) -> Result<(AddrRange, Option<IpNet>), AddrError> {
    let t = text.trim();
    if let Some((a, b)) = t.split_once('-') {
        let (a, b) = (parse_ip(a)?, parse_ip(b)?);
        return AddrRange::new(a, b).map(|r| (r, None)).ok_or_else(|| AddrError::BadRange(t.to_string()));
    }
    let net = parse_cidr(t)?;
    Ok((AddrRange::of_net(&net), Some(net)))
}

/// Whether a CIDR block of a Cilium pool keeps its first and last address out of
/// allocation when `allowFirstLastIPs` is not `Yes`: all but /32, /31, /128 and /127.
pub fn reserves_first_last(net: &IpNet) -> bool {
    net.max_prefix_len() - net.prefix_len() > 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_overlap_and_count_in_both_families() {
        let a = AddrRange::new(ip("10.25.11.100"), ip("10.25.11.119")).unwrap();
        let b = AddrRange::new(ip("10.25.11.120"), ip("10.25.11.139")).unwrap();
        assert_eq!(a.size(), 20);
        assert!(!a.overlaps(&b));
        let c = AddrRange::of_net(&parse_cidr("10.25.11.96/28").unwrap());
        assert_eq!(c.to_string(), "10.25.11.96-10.25.11.111");
        assert_eq!(a.intersection(&c).unwrap().to_string(), "10.25.11.100-10.25.11.111");
        let v6 = AddrRange::of_net(&parse_cidr("2001:db8::/64").unwrap());
        assert_eq!(v6.size(), 1u128 << 64);
        assert!(v6.contains(ip("2001:db8::ffff")));
        assert!(!v6.overlaps(&a), "families never overlap");
        let all6 = AddrRange::of_net(&parse_cidr("::/0").unwrap());
        assert_eq!(all6.size(), u128::MAX);
    }

    #[test]
    fn parse_errors_are_precise() {
        assert!(matches!(parse_cidr("10.0.0.1/24"), Err(AddrError::HostBits { .. })));
        assert!(matches!(parse_cidr("10.0.0.0/33"), Err(AddrError::NotACidr(_))));
        assert!(matches!(parse_ip("10.0.0.256"), Err(AddrError::NotAnAddress(_))));
        assert!(matches!(parse_cidr_or_range("10.0.0.9-10.0.0.1"), Err(AddrError::BadRange(_))));
        assert!(matches!(parse_cidr_or_range("10.0.0.1-2001:db8::1"), Err(AddrError::BadRange(_))));
        assert_eq!(parse_cidr_or_range("fd00::1-fd00::ff").unwrap().0.size(), 255);
        assert!(reserves_first_last(&parse_cidr("10.0.0.0/30").unwrap()));
        assert!(!reserves_first_last(&parse_cidr("10.0.0.0/31").unwrap()));
        assert!(!reserves_first_last(&parse_cidr("fd00::/127").unwrap()));
        assert!(reserves_first_last(&parse_cidr("fd00::/126").unwrap()));
    }
}
