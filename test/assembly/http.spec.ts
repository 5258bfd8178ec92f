// HTTP label values are bounded whatever a client sends (assembly/metrics/http.ts).
import { classLabel, codeLabel, grpcLabel, methodLabel } from "../../assembly/metrics/http";

describe("HTTP labels", () => {
  it("keeps standard methods and folds the rest into other", () => {
    expect(methodLabel("GET")).toBe("GET");
    expect(methodLabel("PATCH")).toBe("PATCH");
    expect(methodLabel("get")).toBe("other");
    expect(methodLabel("BREW")).toBe("other");
    expect(methodLabel("")).toBe("other");
  });

  it("keeps status codes 100..599 and their class; anything else is 0", () => {
    expect(codeLabel("200")).toBe("200");
    expect(classLabel(codeLabel("503"))).toBe("5xx");
    expect(codeLabel("099")).toBe("0");
    expect(codeLabel("600")).toBe("0");
    expect(codeLabel("20x")).toBe("0");
    expect(codeLabel("")).toBe("0");
    expect(classLabel("0")).toBe("0");
  });

  it("keeps gRPC codes 0..16, other values are other, absent is empty", () => {
    expect(grpcLabel("0")).toBe("0");
    expect(grpcLabel("16")).toBe("16");
    expect(grpcLabel("17")).toBe("other");
    expect(grpcLabel("999")).toBe("other");
    expect(grpcLabel("x")).toBe("other");
    expect(grpcLabel("")).toBe("");
  });
});
