const nothing = "a script that registers no fetch listener";
