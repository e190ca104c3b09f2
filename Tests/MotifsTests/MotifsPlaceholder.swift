import XCTest
@testable import Motifs
