test(() => assert_equals(1, 2, "one is not two"), "a failing subtest");
test(() => {}, "a passing subtest");
