/*
 * CRC32C (Castagnoli): the checksum of the header's immutable fields and of every payload.
 * Reflected polynomial 0x82F63B78, initial value 0xFFFFFFFF, final xor 0xFFFFFFFF (the
 * iSCSI/ext4 CRC): crc32c("123456789") == 0xE3069283. The SSE4.2 instruction and the
 * portable slicing-by-8 path compute the same function bit for bit.
 */
#ifndef SHMSTATE_CRC32C_H
#define SHMSTATE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* The CRC32C of `len` bytes, using the CPU instruction when it has one. */
uint32_t shmstate_crc32c(const void* data, size_t len);

/* The portable path alone (tests compare it with the hardware path). */
uint32_t shmstate_crc32c_portable(const void* data, size_t len);

/* 1 if this CPU has the CRC32 instruction; shmstate_crc32c_hardware is usable only then. */
int shmstate_crc32c_hardware_available(void);
uint32_t shmstate_crc32c_hardware(const void* data, size_t len);

#endif /* SHMSTATE_CRC32C_H */
