import XCTest
@testable import Genomics
