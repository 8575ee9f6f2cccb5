//! Print the kernel's IPVS table as one JSON document (the same document
//! `lvsadm -L -j` prints), using the library's handle and JSON builders.
//!
//! ```text
//! cargo run --example list_json
//! ```

use lvs::Ipvs;
use lvsadm::internals::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut ipvs = Ipvs::open().map_err(|e| format!("cannot open IPVS: {e}"))?;
    let mut doc = json::document(&ipvs.info());
    let services = ipvs.services()?;
    let keys = lvs::ServiceKey::of_each(&services);
    let dests = ipvs.dests_many(&keys)?;
    doc.services = Some(
        services
            .iter()
            .zip(&dests)
            .map(|(s, d)| json::service(s, d))
            .collect(),
    );
    json::write(&mut std::io::stdout().lock(), &doc)?;
    Ok(())
}
