//! The dialect catalogue (filled below).
