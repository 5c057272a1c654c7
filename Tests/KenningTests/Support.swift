import Foundation
import KenningCore

/// The repository root (tests read the committed data and model).
let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
    }
    return FileManager.default.currentDirectoryPath
}()

func repo(_ path: String) -> String { (repoRoot as NSString).appendingPathComponent(path) }

func temporaryDirectory() -> String {
    let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("kenning-tests-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func resolved(_ specs: [ParameterSpec], _ values: [(String, JSONValue)]) throws -> ResolvedParameters {
    try ResolvedParameters.resolve(.object(values), specs: specs, blockName: "test")
}
