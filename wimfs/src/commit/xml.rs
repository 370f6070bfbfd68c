//! Updating an image's properties in the XML data: replaces the text of existing elements and
//! adds missing ones, leaving everything else byte for byte as it was; and sets the WIM-level
//! `<TOTALBYTES>`, which wimlib and WIMGAPI write as the file offset of the XML data itself (the
//! size of everything before it).

use crate::error::{WimError, WimResult};

/// Sets `path` (like `DIRCOUNT` or `LASTMODIFICATIONTIME/HIGHPART`) of image `index` to `value`
/// for each pair; returns the new text.
pub fn update_image(text: &str, index: u32, values: &[(&str, String)]) -> WimResult<String> {
    let doc = roxmltree::Document::parse(text)
        .map_err(|e| WimError::invalid("XML data", 0, e.to_string()))?;
    let image = doc
        .root_element()
        .children()
        .find(|n| {
            n.has_tag_name("IMAGE") && n.attribute("INDEX") == Some(index.to_string().as_str())
        })
        .ok_or_else(|| {
            WimError::invalid("XML data", 0, format!("no IMAGE with INDEX=\"{index}\""))
        })?;
    // (start, end, replacement), applied back to front.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for (path, value) in values {
        let value = escape(value);
        let mut node = image;
        let parts: Vec<&str> = path.split('/').collect();
        let mut missing_from = None;
        for (depth, part) in parts.iter().enumerate() {
            match node.children().find(|c| c.has_tag_name(*part)) {
                Some(c) => node = c,
                None => {
                    missing_from = Some(depth);
                    break;
                }
            }
        }
        match missing_from {
            None => {
                let r = node.range();
                let tag = node.tag_name().name();
                edits.push((r.start, r.end, format!("<{tag}>{value}</{tag}>")));
            }
            Some(depth) => {
                // Build the missing elements and insert them before the deepest existing
                // element's end tag.
                let mut inner = value;
                for part in parts[depth..].iter().rev() {
                    inner = format!("<{part}>{inner}</{part}>");
                }
                let r = node.range();
                let end_tag = format!("</{}>", node.tag_name().name());
                let at = if text[r.clone()].ends_with(&end_tag) {
                    r.end - end_tag.len()
                } else {
                    r.end
                };
                edits.push((at, at, inner));
            }
        }
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (start, end, rep) in edits {
        out.replace_range(start..end, &rep);
    }
    Ok(out)
}

/// Sets the `<TOTALBYTES>` that is a direct child of `<WIM>` to `xml_offset`: replaced where it
/// is, or added before `</WIM>` when the WIM has none (wimlib writes it there).
pub fn set_wim_total_bytes(text: &str, xml_offset: u64) -> WimResult<String> {
    let doc = roxmltree::Document::parse(text)
        .map_err(|e| WimError::invalid("XML data", 0, e.to_string()))?;
    let root = doc.root_element();
    let element = format!("<TOTALBYTES>{xml_offset}</TOTALBYTES>");
    let mut out = text.to_string();
    match root.children().find(|c| c.has_tag_name("TOTALBYTES")) {
        Some(existing) => out.replace_range(existing.range(), &element),
        None => {
            let r = root.range();
            let name = root.tag_name().name();
            let end_tag = format!("</{name}>");
            if text[r.clone()].ends_with(&end_tag) {
                out.insert_str(r.end - end_tag.len(), &element);
            } else if text[r.clone()].ends_with("/>") {
                // `<WIM/>`: give it content.
                out.replace_range(r.end - 2..r.end, &format!(">{element}{end_tag}"));
            } else {
                return Err(WimError::invalid(
                    "XML data",
                    0,
                    format!("cannot find the end of <{name}> to add TOTALBYTES"),
                ));
            }
        }
    }
    Ok(out)
}

fn escape(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Encodes XML text the way a WIM stores it: UTF-16LE with a byte-order mark.
pub fn encode_utf16(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_inserts() {
        let xml = "<WIM><IMAGE INDEX=\"1\"><NAME>a</NAME><DIRCOUNT>1</DIRCOUNT></IMAGE>\
                   <IMAGE INDEX=\"2\"><DIRCOUNT>7</DIRCOUNT></IMAGE></WIM>";
        let out = update_image(
            xml,
            1,
            &[
                ("DIRCOUNT", "5".into()),
                ("FILECOUNT", "9".into()),
                ("LASTMODIFICATIONTIME/HIGHPART", "0x1".into()),
            ],
        )
        .expect("valid");
        assert!(
            out.contains("<DIRCOUNT>5</DIRCOUNT><FILECOUNT>9</FILECOUNT>")
                || out.contains("<FILECOUNT>9</FILECOUNT>")
        );
        assert!(
            out.contains("<LASTMODIFICATIONTIME><HIGHPART>0x1</HIGHPART></LASTMODIFICATIONTIME>")
        );
        assert!(out.contains("<IMAGE INDEX=\"2\"><DIRCOUNT>7</DIRCOUNT></IMAGE>"));
        assert!(out.contains("<NAME>a</NAME>"));
        assert!(update_image(xml, 3, &[]).is_err());
    }

    #[test]
    fn wim_total_bytes_replaced_or_added_at_the_wim_level_only() {
        let first =
            "<WIM><TOTALBYTES>9</TOTALBYTES><IMAGE INDEX=\"1\"><TOTALBYTES>100</TOTALBYTES>\
                     </IMAGE></WIM>";
        let out = set_wim_total_bytes(first, 4242).expect("valid");
        assert_eq!(
            out,
            "<WIM><TOTALBYTES>4242</TOTALBYTES><IMAGE INDEX=\"1\"><TOTALBYTES>100</TOTALBYTES>\
             </IMAGE></WIM>"
        );
        let none = "<WIM><IMAGE INDEX=\"1\"><TOTALBYTES>100</TOTALBYTES></IMAGE></WIM>";
        let out = set_wim_total_bytes(none, 7).expect("valid");
        assert_eq!(
            out,
            "<WIM><IMAGE INDEX=\"1\"><TOTALBYTES>100</TOTALBYTES></IMAGE>\
             <TOTALBYTES>7</TOTALBYTES></WIM>"
        );
        assert_eq!(
            set_wim_total_bytes("<WIM />", 1).expect("valid"),
            "<WIM ><TOTALBYTES>1</TOTALBYTES></WIM>"
        );
    }
}
