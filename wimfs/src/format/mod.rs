//! On-disk WIM structures: bytes in, validated structs out.
