import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
@Injectable()
class A { constructor() {} }
describe('smoke', () => { it('runs on node 24', () => { expect(process.versions.node.startsWith('24')).toBe(true); expect(new A()).toBeInstanceOf(A); }); });
