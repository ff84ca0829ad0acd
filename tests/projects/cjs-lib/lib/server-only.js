throw new Error("the browser field maps this file away; it must never run");
