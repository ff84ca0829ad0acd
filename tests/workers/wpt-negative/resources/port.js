var WS_PORT = "{{ports[ws][0]}}".replace(/[{}]/g, "x");
