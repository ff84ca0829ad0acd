//! Any Close body (up to the 125 bytes of a control frame) in a masked Close
//! frame: the worker gets either the code and reason exactly as sent, or
//! the protocol error that fails the connection, and nothing else.
#![no_main]

use kiln_fuzz::received;
use kiln_ops::websocket::conn::Limits;
use kiln_ops::websocket::hub::Msg;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
  if body.len() > 125 {
    return;
  }
  let mask = [0x5a, 0x13, 0xc4, 0x7e];
  let mut frame = vec![0x88, 0x80 | body.len() as u8];
  frame.extend_from_slice(&mask);
  frame.extend(body.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
  let got = received(&frame, Limits::default());
  match got.as_slice() {
    [Msg::Close(None, reason)] => assert!(body.is_empty() && reason.is_empty()),
    [Msg::Close(Some(code), reason)] => {
      assert_eq!(&body[..2], &code.to_be_bytes());
      assert_eq!(reason.as_bytes(), &body[2..]);
      assert!(
        matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999),
        "code {code}"
      );
    }
    [Msg::Error(message)] => {
      let code = (body.len() >= 2).then(|| u16::from_be_bytes([body[0], body[1]]));
      let valid_code = code.is_some_and(|c| matches!(c, 1000..=1003 | 1007..=1014 | 3000..=4999));
      let valid_text = body.len() >= 2 && std::str::from_utf8(&body[2..]).is_ok();
      assert!(
        body.len() == 1 || !valid_code || !valid_text,
        "a valid Close body refused: {message}"
      );
    }
    other => panic!("{other:?}"),
  }
});
