// META: timeout=normal
async_test(t => {}, "never finishes");
