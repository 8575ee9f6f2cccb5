//! Byte-for-byte checks against outputs captured from ipvsadm 1.31.
